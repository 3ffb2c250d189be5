import { TIMED_OUT, waitAtMost } from './wait-at-most.js';

describe('waitAtMost', () => {
  it('answers the work when it settles first', async () => {
    await expect(waitAtMost(Promise.resolve(42), 1000)).resolves.toBe(42);
  });

  it('passes on a rejection that comes first', async () => {
    await expect(waitAtMost(Promise.reject(new Error('refused')), 1000)).rejects.toThrow('refused');
  });

  it('answers TIMED_OUT when the work takes longer, and the work goes on', async () => {
    let finish: (value: string) => void = () => undefined;
    const work = new Promise<string>((resolve) => (finish = resolve));
    await expect(waitAtMost(work, 20)).resolves.toBe(TIMED_OUT);
    finish('done later');
    await expect(work).resolves.toBe('done later');
  });

  it('absorbs a rejection that comes after the time ran out', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let fail: (error: Error) => void = () => undefined;
      const work = new Promise<never>((_, reject) => (fail = reject));
      await expect(waitAtMost(work, 10)).resolves.toBe(TIMED_OUT);
      fail(new Error('too late'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
