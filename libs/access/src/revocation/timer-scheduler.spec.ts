import type { ExpireGrants, ExpiryRun } from './expire-grants.js';
import { bucketEnd } from './revocation-scheduler.js';
import { TimerRevocationScheduler } from './timer-scheduler.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts the expiry runs the timer starts; ends nothing. */
function countingExpiry() {
  const runs: number[] = [];
  const expire = {
    expireDue: (): Promise<ExpiryRun> => {
      runs.push(Date.now());
      return Promise.resolve({ ended: 0, failed: 0, retryAt: [] });
    },
  } as unknown as ExpireGrants;
  return { runs, expire };
}

describe('TimerRevocationScheduler', () => {
  it('arms for expiries within the horizon and leaves later ones to the sweep', async () => {
    const { runs, expire } = countingExpiry();
    const timer = new TimerRevocationScheduler(expire, 200);
    try {
      await timer.schedule([new Date(Date.now() + 400)]);
      await sleep(600);
      expect(runs).toHaveLength(0);

      const soon = new Date(Date.now() + 100);
      await timer.schedule([soon]);
      await sleep(300);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toBeGreaterThanOrEqual(bucketEnd(soon));
    } finally {
      timer.onApplicationShutdown();
    }
  });

  it('runs at each bucket the sweep reconciles, once per bucket', async () => {
    const { runs, expire } = countingExpiry();
    const timer = new TimerRevocationScheduler(expire, 60_000);
    try {
      const first = bucketEnd(new Date(Date.now() + 100));
      await timer.reconcile([first, first + 200]);
      await timer.reconcile([first, first + 200]);
      await sleep(first + 500 - Date.now());
      expect(runs).toHaveLength(2);
      expect(runs[1]).toBeGreaterThanOrEqual(first + 200);
    } finally {
      timer.onApplicationShutdown();
    }
  });
});
