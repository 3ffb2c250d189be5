import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import {
  BullmqRevocationScheduler,
  jobIdFor,
} from '../../libs/access/src/revocation/bullmq-scheduler.js';
import { bucketEnd } from '../../libs/access/src/revocation/revocation-scheduler.js';
import { TEST_REDIS_URL } from '../support/databases.js';

// The BullMQ scheduler keeps jobs for its horizon only, against a real Redis (a prefix of its own).
describe('BullMQ revocation schedules within a horizon', () => {
  let queue: Queue;

  beforeEach(() => {
    queue = new Queue('revocations', {
      connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null },
      prefix: `horizon-${randomUUID()}`,
    });
  });

  afterEach(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  const delayedBuckets = async () =>
    (await queue.getDelayed()).map((job) => (job.data as { dueAt: number }).dueAt).sort();

  it('adds a job at mint only when the expiry falls within the horizon', async () => {
    const scheduler = new BullmqRevocationScheduler(queue, 60_000);
    const within = new Date(Date.now() + 30_000);
    const beyond = new Date(Date.now() + 120_000);
    await scheduler.schedule([within, beyond]);
    expect(await delayedBuckets()).toEqual([bucketEnd(within)]);
    expect(await queue.getJob(jobIdFor(bucketEnd(beyond)))).toBeUndefined();
  });

  it('adds the buckets a sweep finds owed, and re-creates every one after Redis lost them', async () => {
    const scheduler = new BullmqRevocationScheduler(queue, 60_000);
    const first = bucketEnd(new Date(Date.now() + 20_000));
    const owed = [first, first + 50, first + 5000];
    await scheduler.schedule([new Date(first)]);
    await scheduler.reconcile(owed);
    expect(await delayedBuckets()).toEqual(owed);

    // Redis loses its jobs; this process still believes them sent.
    await queue.obliterate({ force: true });
    expect(await delayedBuckets()).toEqual([]);
    await scheduler.reconcile(owed);
    expect(await delayedBuckets()).toEqual(owed);

    // In line: a second pass sends nothing new and changes nothing.
    await scheduler.reconcile(owed);
    expect(await delayedBuckets()).toEqual(owed);
  });

  it('sends a bucket again after its job was released, when a later sweep still owes it', async () => {
    const scheduler = new BullmqRevocationScheduler(queue, 60_000);
    const bucket = bucketEnd(new Date(Date.now() + 20_000));
    await scheduler.reconcile([bucket]);
    await scheduler.release(bucket);
    expect(await delayedBuckets()).toEqual([]);
    await scheduler.reconcile([bucket]);
    expect(await delayedBuckets()).toEqual([bucket]);
  });
});
