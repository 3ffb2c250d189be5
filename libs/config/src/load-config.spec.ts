import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfigYaml, loadConfig, parseConfig } from './index.js';

const KEY = Buffer.alloc(32, 2).toString('base64');

const FILE_YAML = `
auth:
  issuers:
    - { name: corp, issuer: https://idp, jwksUri: https://idp/jwks, audience: cs }
policy:
  roles: []
`;

let dir: string;
let cwd: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'countersign-config-'));
  cwd = process.cwd();
  process.chdir(dir);
});

afterEach(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('reads the file named by COUNTERSIGN_CONFIG', () => {
    const path = join(dir, 'prod.yaml');
    writeFileSync(path, FILE_YAML);
    const config = loadConfig({ COUNTERSIGN_CONFIG: path, COUNTERSIGN_ENCRYPTION_KEY: KEY });
    expect(config.demo).toBe(false);
    expect(config.demoUsers).toEqual([]);
    expect(config.issuers.map((issuer) => issuer.name)).toEqual(['corp']);
  });

  it('reads ./countersign.yaml when COUNTERSIGN_CONFIG is unset', () => {
    writeFileSync(join(dir, 'countersign.yaml'), FILE_YAML);
    expect(loadConfig({ COUNTERSIGN_ENCRYPTION_KEY: KEY }).demo).toBe(false);
  });

  it('refuses a COUNTERSIGN_CONFIG that names no file, rather than falling back to demo', () => {
    const env = { COUNTERSIGN_CONFIG: join(dir, 'missing.yaml') };
    expect(() => loadConfig(env)).toThrow(configError('COUNTERSIGN_CONFIG', /no such file/));
  });

  it('refuses a file whose validation fails', () => {
    writeFileSync(join(dir, 'countersign.yaml'), `${FILE_YAML}extra: 1\n`);
    expect(() => loadConfig({ COUNTERSIGN_ENCRYPTION_KEY: KEY })).toThrow(
      configError('extra', /unknown/),
    );
  });
});

describe('loadConfig under NODE_ENV=production', () => {
  it.each(['production', 'Production', ' production '])(
    'refuses to start with no config file (NODE_ENV=%p), naming COUNTERSIGN_CONFIG',
    (nodeEnv) => {
      expect(() => loadConfig({ NODE_ENV: nodeEnv, COUNTERSIGN_ENCRYPTION_KEY: KEY })).toThrow(
        configError('COUNTERSIGN_CONFIG', /NODE_ENV=production.*set COUNTERSIGN_CONFIG/),
      );
    },
  );

  it('reads ./countersign.yaml as usual', () => {
    writeFileSync(join(dir, 'countersign.yaml'), FILE_YAML);
    const config = loadConfig({ NODE_ENV: 'production', COUNTERSIGN_ENCRYPTION_KEY: KEY });
    expect(config.demo).toBe(false);
  });

  it('reads the file COUNTERSIGN_CONFIG names as usual', () => {
    const path = join(dir, 'prod.yaml');
    writeFileSync(path, FILE_YAML);
    const env = {
      NODE_ENV: 'production',
      COUNTERSIGN_CONFIG: path,
      COUNTERSIGN_ENCRYPTION_KEY: KEY,
    };
    expect(loadConfig(env).issuers.map((issuer) => issuer.name)).toEqual(['corp']);
  });

  it.each(['development', 'test', ''])('leaves the demo default to NODE_ENV=%p', (nodeEnv) => {
    expect(loadConfig({ NODE_ENV: nodeEnv }).demo).toBe(true);
  });
});

describe('the demo config', () => {
  it('applies with no file and no encryption key', () => {
    const config = loadConfig({});
    expect(config.demo).toBe(true);
    expect(config.encryptionKey).toBeUndefined();
    expect(config.issuers).toStrictEqual([
      {
        name: 'demo',
        issuer: 'http://localhost:3000/demo',
        jwksUri: 'http://localhost:3000/demo/jwks.json',
        audience: 'countersign',
        groupsClaim: 'groups',
      },
    ]);
    expect(config.credentials).toStrictEqual({
      issuer: 'http://localhost:3000',
      algorithm: 'EdDSA',
    });
  });

  it('declares the demo users', () => {
    const users = loadConfig({}).demoUsers;
    expect(users.map(({ name, sub, groups }) => [name, sub, groups])).toEqual([
      ['alice', 'alice', ['engineering']],
      ['bob', 'bob', ['sre-leads']],
      ['carol', 'carol', []],
      ['dave', 'dave', ['security', 'sre-leads']],
      ['mallory', 'mallory', []],
    ]);
    expect(users.every((user) => user.description.length > 0)).toBe(true);
  });

  it('declares the owners, admins and the two roles', () => {
    const config = loadConfig({});
    expect(config.owners).toEqual({ 'demo:svc-deployer': 'demo:alice' });
    expect(config.policy.admins).toEqual({ groups: ['security'] });
    const approvers = { groups: ['sre-leads'], principals: ['demo:carol'] };
    expect(config.policy.roles).toMatchObject([
      {
        name: 'prod-db-admin',
        resource: 'postgres://prod/payments',
        actions: ['db:read', 'db:write'],
        maxDuration: 3600,
        defaultDuration: 900,
        requesters: { groups: ['engineering'] },
        approvers,
        approvalsRequired: 1,
        requireJustification: true,
      },
      {
        name: 'payments-deploy',
        resource: 'https://deploy.example.com/payments',
        actions: ['deploy:create'],
        maxDuration: 1800,
        defaultDuration: 600,
        requesters: { groups: ['engineering'] },
        approvers,
        approvalsRequired: 2,
        requireJustification: true,
      },
    ]);
  });

  it.each<[string, Record<string, string>, string]>([
    ['PORT', { PORT: '4000' }, 'http://localhost:4000'],
    ['PUBLIC_URL', { PUBLIC_URL: 'https://try.example.com/' }, 'https://try.example.com'],
  ])('is written against the public URL that %s gives', (_, env, publicUrl) => {
    const config = loadConfig(env);
    expect(config.publicUrl).toBe(publicUrl);
    expect(config.issuers[0].issuer).toBe(`${publicUrl}/demo`);
    expect(config.issuers[0].jwksUri).toBe(`${publicUrl}/demo/jwks.json`);
    expect(config.credentials.issuer).toBe(publicUrl);
  });

  it('still checks an encryption key that is given', () => {
    expect(() => loadConfig({ COUNTERSIGN_ENCRYPTION_KEY: 'c2hvcnQ=' })).toThrow(
      configError('COUNTERSIGN_ENCRYPTION_KEY', /32 bytes/),
    );
  });

  it('is the text parseConfig reads in demo mode', () => {
    expect(parseConfig(demoConfigYaml(), {}, { demo: true })).toStrictEqual(loadConfig({}));
  });

  it('is refused as an ordinary config file: demo users belong to the built-in demo only', () => {
    writeFileSync(join(dir, 'countersign.yaml'), demoConfigYaml());
    const env = { COUNTERSIGN_ENCRYPTION_KEY: KEY, PUBLIC_URL: 'https://cs.example.com' };
    expect(() => loadConfig(env)).toThrow(configError('demoUsers', /demo/));
  });
});

/** Matches a thrown ConfigError naming `field`, whose message matches `message`. */
function configError(field: string, message: RegExp): Error {
  // An asymmetric matcher, typed as what toThrow accepts.
  return expect.objectContaining({
    name: 'ConfigError',
    field,
    message: expect.stringMatching(message),
  }) as Error;
}
