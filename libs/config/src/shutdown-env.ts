import { parseDuration } from '#domain';
import { ConfigError } from './config-error.js';
import type { Env } from './env.js';
import { envValue } from './env.js';

export interface ShutdownEnv {
  delayMs: number;
  deadlineMs: number;
}

function secondsFrom(env: Env, name: string, fallback: number): number {
  const raw = envValue(env, name);
  if (raw === undefined) return fallback;
  const seconds = parseDuration(raw);
  if (seconds === undefined) throw new ConfigError(name, 'must be a duration such as 5s or 1m');
  return seconds;
}

/**
 * How broker and worker stop on SIGTERM (drainOnSignal): SHUTDOWN_DELAY (default 0s) is how long
 * readiness says 503 while requests are still served; SHUTDOWN_TIMEOUT (default 20s) is when a
 * shutdown that has not finished exits anyway. The timeout must leave room for the delay.
 */
export function resolveShutdownEnv(env: Env): ShutdownEnv {
  const delay = secondsFrom(env, 'SHUTDOWN_DELAY', 0);
  const timeout = secondsFrom(env, 'SHUTDOWN_TIMEOUT', 20);
  if (timeout <= delay) throw new ConfigError('SHUTDOWN_TIMEOUT', 'must exceed SHUTDOWN_DELAY');
  return { delayMs: delay * 1000, deadlineMs: timeout * 1000 };
}
