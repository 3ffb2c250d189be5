import type { SinkBatch } from './batch.js';

/** One destination of the audit stream. */
export interface AuditSink {
  readonly name: string;
  readonly kind: 'file' | 'webhook' | 'syslog';
  /**
   * Resolves once the destination holds the whole batch; throws (a SinkError, whose message
   * names no secret) otherwise. `signal` aborts it when the process stops.
   */
  deliver(batch: SinkBatch, signal: AbortSignal): Promise<void>;
}

/** A delivery that failed, in words safe to log: no URL, no secret, no event content. */
export class SinkError extends Error {
  override readonly name = 'SinkError';
}

/** The code of a system error (ECONNREFUSED, ENOENT...), or its class: never its message. */
export function errorCode(error: unknown): string {
  // Duck-typed: errors from another realm (undici's, a test runner's) fail instanceof.
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  if (name === 'AbortError') return 'aborted';
  if (name === 'TimeoutError') return 'timeout';
  return typeof name === 'string' && /^[A-Za-z]{1,40}$/.test(name) ? name : 'unknown error';
}
