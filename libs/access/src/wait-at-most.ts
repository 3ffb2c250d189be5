/** What `waitAtMost` answers when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * Waits for `work` at most `ms`, without cancelling it: the caller stops waiting and the work goes
 * on behind (a Redis that accepts and never answers must not hold up a request, a sweep or a
 * scrape). A rejection of `work` after the time ran out is absorbed, never unhandled. The timer is
 * cleared once either side settles and never keeps the process alive.
 */
export async function waitAtMost<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, ms, TIMED_OUT);
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
