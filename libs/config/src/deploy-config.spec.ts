import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Env } from './env.js';
import { loadConfig } from './load-config.js';
import { resolveWorkerPort } from './env.js';

/**
 * The shipped deployment's config (deploy/countersign.yaml) loads through the real loader with
 * exactly the environment docker-compose.yml hands each container, its ${...} filled from
 * .env.example, the way `docker compose --env-file .env.example config` fills them.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const read = (...path: string[]) => readFileSync(join(ROOT, ...path), 'utf8');

/** KEY=value lines of a .env file; comments and blank lines skipped. */
function dotenv(text: string): Env {
  const entries = text
    .split('\n')
    .map((line) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
    .filter((match) => match !== null)
    .map((match) => [match[1], match[2]]);
  return Object.fromEntries(entries) as Env;
}

/** Compose's interpolation: ${NAME}, ${NAME:-default}, ${NAME:?message} (empty counts as unset). */
function composeInterpolate(text: string, vars: Env): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g,
    (_match, name: string, kind?: string, rest?: string) => {
      const value = vars[name];
      if (value !== undefined && value !== '') return value;
      if (kind === '?') throw new Error(`compose refuses: ${name}: ${rest ?? ''}`);
      return kind === '-' ? (rest ?? '') : '';
    },
  );
}

interface ComposeService {
  environment: Record<string, string>;
}

function composeServices(vars: Env): Record<string, ComposeService> {
  const doc = parseYaml(composeInterpolate(read('docker-compose.yml'), vars), {
    merge: true,
  }) as { services: Record<string, ComposeService> };
  return doc.services;
}

/** A service's environment, the config path pointed at the repository's deploy/ file. */
function containerEnv(service: ComposeService): Env {
  return {
    ...service.environment,
    COUNTERSIGN_CONFIG: join(ROOT, 'deploy', 'countersign.yaml'),
  };
}

const example = dotenv(read('.env.example'));
// .env.example ships no key, on purpose: the operator generates one (openssl rand -base64 32).
const vars = { ...example, COUNTERSIGN_ENCRYPTION_KEY: randomBytes(32).toString('base64') };

describe('the shipped deployment (docker-compose.yml, deploy/countersign.yaml, .env.example)', () => {
  it('ships no encryption key, and compose refuses to start without one', () => {
    expect(example.COUNTERSIGN_ENCRYPTION_KEY).toBe('');
    expect(() => composeServices(example)).toThrow(/COUNTERSIGN_ENCRYPTION_KEY/);
  });

  it('loads for the broker: PostgreSQL, Redis, the revocation worker apart, web sign-in on', () => {
    const config = loadConfig(containerEnv(composeServices(vars).broker));
    expect(config.demo).toBe(false);
    expect(config.revocation.worker).toBe('external');
    expect(config.web).toMatchObject({
      clientId: example.OIDC_CLIENT_ID,
      issuer: { name: 'corp', issuer: example.OIDC_ISSUER, jwksUri: example.OIDC_JWKS_URI },
    });
    expect(config.database.type).toBe('postgres');
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(config.encryptionKey).toHaveLength(32);
    expect(config.publicUrl).toBe(example.PUBLIC_URL);
    expect(config.credentials.issuer).toBe(example.PUBLIC_URL);
    expect(config.audit.verifyInterval).toBe(3600);
    expect(config.policy.roles.length).toBeGreaterThan(0);
  });

  it('loads for the worker alike, which serves health and metrics on 3001', () => {
    const env = containerEnv(composeServices(vars).worker);
    expect(loadConfig(env).revocation.worker).toBe('external');
    expect(resolveWorkerPort(env)).toBe(3001);
    expect(env.HEALTH_PORT).toBe('3001');
  });

  it('names every ${...} of the config in what compose passes, so none is left unset', () => {
    const values = JSON.stringify(parseYaml(read('deploy', 'countersign.yaml')));
    const names = [...values.matchAll(/\$\{([A-Z_0-9]+)\}/g)].map((match) => match[1]);
    expect(names.length).toBeGreaterThan(0);
    const services = composeServices(vars);
    for (const service of [services.broker, services.worker]) {
      for (const name of names) expect(service.environment[name]).toBeTruthy();
    }
  });
});
