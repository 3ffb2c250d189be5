import { stringify } from 'yaml';
import { parseConfig, resolveWorkerPort } from './index.js';

const KEY = Buffer.alloc(32, 1).toString('base64');

const YAML = stringify({
  auth: {
    issuers: [{ name: 'corp', issuer: 'https://idp', jwksUri: 'https://idp/jwks', audience: 'cs' }],
  },
  policy: { roles: [] },
});

const parse = (env: Record<string, string | undefined>, yaml = YAML) =>
  parseConfig(yaml, { COUNTERSIGN_ENCRYPTION_KEY: KEY, ...env });

describe('environment overrides', () => {
  it('defaults: port 3000, local SQLite, no Redis, public URL on localhost', () => {
    expect(parse({})).toMatchObject({
      port: 3000,
      publicUrl: 'http://localhost:3000',
      database: { type: 'sqlite', path: './data/countersign.sqlite' },
      credentials: { issuer: 'http://localhost:3000' },
    });
    expect(parse({})).not.toHaveProperty('redisUrl');
  });

  it('PORT moves the port and the default public URL', () => {
    expect(parse({ PORT: '8080' })).toMatchObject({
      port: 8080,
      publicUrl: 'http://localhost:8080',
      credentials: { issuer: 'http://localhost:8080' },
    });
  });

  it.each<[string, string]>([
    ['PUBLIC_URL over the file', 'https://cs.example.com'],
    ['a trailing slash dropped', 'https://cs.example.com/'],
  ])('PUBLIC_URL: %s', (_, publicUrl) => {
    const config = parse({ PUBLIC_URL: publicUrl }, `publicUrl: http://file.example\n${YAML}`);
    expect(config.publicUrl).toBe('https://cs.example.com');
    expect(config.credentials.issuer).toBe('https://cs.example.com');
  });

  it("the file's publicUrl applies without PUBLIC_URL, trailing slash dropped", () => {
    expect(parse({}, `publicUrl: https://file.example/cs/\n${YAML}`).publicUrl).toBe(
      'https://file.example/cs',
    );
  });

  it.each<[string, object]>([
    ['sqlite:/var/lib/cs.sqlite', { type: 'sqlite', path: '/var/lib/cs.sqlite' }],
    ['sqlite:./db.sqlite', { type: 'sqlite', path: './db.sqlite' }],
    ['sqlite::memory:', { type: 'sqlite', path: ':memory:' }],
    ['postgres://u:p@db:5432/cs', { type: 'postgres', url: 'postgres://u:p@db:5432/cs' }],
    ['postgresql://db/cs', { type: 'postgres', url: 'postgresql://db/cs' }],
  ])('DATABASE_URL=%s', (url, database) => {
    expect(parse({ DATABASE_URL: url }).database).toStrictEqual(database);
  });

  it('REDIS_URL is passed through', () => {
    expect(parse({ REDIS_URL: 'redis://cache:6379' }).redisUrl).toBe('redis://cache:6379');
  });

  it('an empty variable counts as unset', () => {
    expect(parse({ PORT: '', DATABASE_URL: '', REDIS_URL: '' })).toMatchObject({
      port: 3000,
      database: { type: 'sqlite' },
    });
  });

  it('decodes the encryption key', () => {
    expect(parse({}).encryptionKey).toStrictEqual(Buffer.alloc(32, 1));
  });

  it.each<[string, Record<string, string | undefined>, string, RegExp]>([
    ['PORT not a number', { PORT: 'http' }, 'PORT', /port/],
    ['PORT out of range', { PORT: '70000' }, 'PORT', /port/],
    ['PORT zero', { PORT: '0' }, 'PORT', /port/],
    [
      'DATABASE_URL of another database',
      { DATABASE_URL: 'mysql://u:s3cret@db/cs' },
      'DATABASE_URL',
      /postgres/,
    ],
    ['DATABASE_URL sqlite without a path', { DATABASE_URL: 'sqlite:' }, 'DATABASE_URL', /path/],
    ['REDIS_URL not redis', { REDIS_URL: 'http://cache' }, 'REDIS_URL', /redis/],
    ['PUBLIC_URL not http', { PUBLIC_URL: 'ftp://cs' }, 'PUBLIC_URL', /http/],
    [
      'encryption key of 16 bytes',
      { COUNTERSIGN_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') },
      'COUNTERSIGN_ENCRYPTION_KEY',
      /32 bytes/,
    ],
    [
      'encryption key of 33 bytes',
      { COUNTERSIGN_ENCRYPTION_KEY: Buffer.alloc(33).toString('base64') },
      'COUNTERSIGN_ENCRYPTION_KEY',
      /32 bytes/,
    ],
    [
      'encryption key not base64',
      { COUNTERSIGN_ENCRYPTION_KEY: 'not base64!'.padEnd(44, '*') },
      'COUNTERSIGN_ENCRYPTION_KEY',
      /base64/,
    ],
    [
      'encryption key missing outside demo',
      { COUNTERSIGN_ENCRYPTION_KEY: undefined },
      'COUNTERSIGN_ENCRYPTION_KEY',
      /required/,
    ],
  ])('refuses %s', (_, env, field, message) => {
    expect(() => parse(env)).toThrow(configError(field, message));
  });

  it('never repeats a database password in its error', () => {
    expect(() => parse({ DATABASE_URL: 'mysql://u:s3cret@db/cs' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
    );
  });
});

describe('WORKER_PORT', () => {
  it('defaults to 3001, an empty value counting as unset, and is independent of PORT', () => {
    expect(resolveWorkerPort({})).toBe(3001);
    expect(resolveWorkerPort({ WORKER_PORT: '' })).toBe(3001);
    expect(resolveWorkerPort({ PORT: '8080' })).toBe(3001);
    expect(resolveWorkerPort({ WORKER_PORT: '9464' })).toBe(9464);
  });

  it.each<[string, string]>([
    ['not a number', 'http'],
    ['out of range', '70000'],
    ['zero', '0'],
    ['signed', '+3001'],
    ['fractional', '3001.5'],
  ])('refuses a value %s', (_, value) => {
    expect(() => resolveWorkerPort({ WORKER_PORT: value })).toThrow(
      configError('WORKER_PORT', /port/),
    );
  });
});

describe('LOG_LEVEL and logLevel', () => {
  it('is info unless the file or LOG_LEVEL says otherwise, LOG_LEVEL winning', () => {
    expect(parse({}).logLevel).toBe('info');
    const quiet = `${YAML}logLevel: warn\n`;
    expect(parse({}, quiet).logLevel).toBe('warn');
    expect(parse({ LOG_LEVEL: 'debug' }, quiet).logLevel).toBe('debug');
    expect(parse({ LOG_LEVEL: '' }, quiet).logLevel).toBe('warn');
    expect(parse({ LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
  });

  it('refuses a level pino does not have, in either place', () => {
    expect(() => parse({ LOG_LEVEL: 'verbose' })).toThrow(configError('LOG_LEVEL', /one of/));
    expect(() => parse({}, `${YAML}logLevel: loud\n`)).toThrow(configError('logLevel', /./));
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
