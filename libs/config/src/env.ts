import type { DatabaseConfig } from './types.js';
import { ConfigError } from './config-error.js';
import { httpUrlProblem, withoutTrailingSlash } from './http-url.js';

export type Env = Record<string, string | undefined>;

export const DEFAULT_SQLITE_PATH = './data/countersign.sqlite';

/** An environment variable's value; an empty string counts as unset (as compose files pass it). */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function portFrom(env: Env, name: string, fallback: number): number {
  const raw = envValue(env, name);
  if (raw === undefined) return fallback;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new ConfigError(name, 'must be a port number 1-65535');
  return port;
}

/** The broker's HTTP port: PORT, else 3000. */
export function resolvePort(env: Env): number {
  return portFrom(env, 'PORT', 3000);
}

/** The worker's port for its health checks and metrics: WORKER_PORT, else 3001. */
export function resolveWorkerPort(env: Env): number {
  return portFrom(env, 'WORKER_PORT', 3001);
}

/** The levels `LOG_LEVEL` and the config's `logLevel` take: pino's, and `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL, else the file's logLevel, else info: broker and worker alike. */
export function resolveLogLevel(env: Env, fromFile: LogLevel | undefined): LogLevel {
  const fromEnv = envValue(env, 'LOG_LEVEL');
  if (fromEnv === undefined) return fromFile ?? 'info';
  const level = LOG_LEVELS.find((known) => known === fromEnv);
  if (!level) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

/** PUBLIC_URL, else the file's publicUrl, else http://localhost:<port>; never a trailing slash. */
export function resolvePublicUrl(env: Env, fromFile: string | undefined, port: number): string {
  const fromEnv = envValue(env, 'PUBLIC_URL');
  if (fromEnv !== undefined) {
    const problem = httpUrlProblem(fromEnv);
    if (problem !== undefined) throw new ConfigError('PUBLIC_URL', problem);
  }
  return withoutTrailingSlash(fromEnv ?? fromFile ?? `http://localhost:${port}`);
}

// Messages never repeat the URL: it may carry a password.
export function resolveDatabase(env: Env): DatabaseConfig {
  const url = envValue(env, 'DATABASE_URL');
  if (url === undefined) return { type: 'sqlite', path: DEFAULT_SQLITE_PATH };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') {
      throw new ConfigError('DATABASE_URL', 'sqlite: needs a path, e.g. sqlite:./data/db.sqlite');
    }
    return { type: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(url) && URL.canParse(url)) return { type: 'postgres', url };
  throw new ConfigError(
    'DATABASE_URL',
    'must be postgres://..., postgresql://..., sqlite:<path> or sqlite::memory:',
  );
}

export function resolveRedisUrl(env: Env): string | undefined {
  const url = envValue(env, 'REDIS_URL');
  if (url === undefined) return undefined;
  if (/^rediss?:\/\//.test(url) && URL.canParse(url)) return url;
  throw new ConfigError('REDIS_URL', 'must be redis://... or rediss://...');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** COUNTERSIGN_ENCRYPTION_KEY: base64 of exactly 32 bytes. */
export function resolveEncryptionKey(env: Env, required: boolean): Buffer | undefined {
  const name = 'COUNTERSIGN_ENCRYPTION_KEY';
  const raw = envValue(env, name);
  if (raw === undefined) {
    if (required) {
      throw new ConfigError(name, 'required outside the demo config (32 random bytes, base64)');
    }
    return undefined;
  }
  const key = BASE64.test(raw) ? Buffer.from(raw, 'base64') : undefined;
  if (key?.length !== 32) throw new ConfigError(name, 'must be base64 of exactly 32 bytes');
  return key;
}
