import type { Logger } from '@nestjs/common';

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * An `error` listener for a BullMQ queue or worker. Without one BullMQ writes every error to
 * stderr past the log, and an unlistened `error` can end the process; with Redis away the same
 * refusal comes back on every reconnect, so at most one line a minute is logged, at warn, with
 * how many were left out.
 */
export function redisErrorLog(
  logger: Pick<Logger, 'warn'>,
  what: string,
  intervalMs = 60_000,
  now: () => number = Date.now,
): (error: unknown) => void {
  let lastAt = -Infinity;
  let skipped = 0;
  return (error) => {
    const at = now();
    if (at - lastAt < intervalMs) {
      skipped += 1;
      return;
    }
    const more = skipped > 0 ? ` (${skipped} more since the last)` : '';
    logger.warn(`${what}: ${messageOf(error)}${more}`);
    lastAt = at;
    skipped = 0;
  };
}
