import type { AuditEvent, NoteSigner } from '#audit-log';
import {
  GENESIS_HASH,
  consistencyProof,
  eventLeafHash,
  generateSigner,
  hashEvent,
  rootHash,
  signCheckpoint,
} from '#audit-log';
import type { OfflineLogInput } from './log-verify.js';
import { LogReplay, verifyLogOffline } from './log-verify.js';

const ORIGIN = 'countersign.test/audit';
const signer = generateSigner(ORIGIN);

/** A chained log of `count` events, the `actor` of each given by `actorOf`. */
function chainOf(count: number, actorOf = (_seq: number) => 'corp:alice'): AuditEvent[] {
  const events: AuditEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const unhashed = {
      seq,
      id: `event-${seq}`,
      at: '2026-12-07T10:00:00.000Z',
      type: 'request.created',
      actor: actorOf(seq),
      requestId: 'req-1',
      data: { n: seq },
      prevHash,
    };
    const event = { ...unhashed, hash: hashEvent(unhashed) };
    events.push(event);
    prevHash = event.hash;
  }
  return events;
}

function checkpointOf(events: readonly AuditEvent[], size: number, by: NoteSigner = signer) {
  const root = rootHash(events.slice(0, size).map(eventLeafHash));
  return signCheckpoint({ origin: by.name, size, rootHash: root }, [by]);
}

/** The log's own consistency proof, as GET /v1/audit/proof/consistency answers it. */
const proofFrom =
  (events: readonly AuditEvent[]) =>
  (from: number, to: number): Promise<string[]> =>
    Promise.resolve(
      consistencyProof(events.map(eventLeafHash), from, to).map((hash) =>
        Buffer.from(hash).toString('base64'),
      ),
    );

async function* stream(events: readonly AuditEvent[]): AsyncGenerator<AuditEvent> {
  for (const event of events) yield await Promise.resolve(event);
}

const check = (input: Omit<OfflineLogInput, 'vkeys' | 'events'> & { events: AuditEvent[] }) =>
  verifyLogOffline({ vkeys: `${signer.verifier.vkey}\n`, ...input, events: stream(input.events) });

describe('verifyLogOffline', () => {
  const log = chainOf(20);

  it('passes a log whose checkpoint covers every event', async () => {
    const report = await check({ checkpoint: checkpointOf(log, 20), events: log });
    expect(report).toEqual({
      ok: true,
      events: 20,
      head: log[19].hash,
      rootHash: Buffer.from(rootHash(log.map(eventLeafHash))).toString('base64'),
      checkpoint: {
        origin: ORIGIN,
        size: 20,
        rootHash: Buffer.from(rootHash(log.map(eventLeafHash))).toString('base64'),
      },
    });
  });

  it.each([0, 1, 7, 8, 19])('passes a log grown past its checkpoint of size %i', async (size) => {
    const report = await check({ checkpoint: checkpointOf(log, size), events: log });
    expect(report).toMatchObject({ ok: true, events: 20, checkpoint: { size } });
  });

  it('passes an empty log with its checkpoint of size 0', async () => {
    expect(await check({ checkpoint: checkpointOf([], 0), events: [] })).toMatchObject({
      ok: true,
      events: 0,
      head: GENESIS_HASH,
    });
  });

  it('reports an altered event at its seq', async () => {
    const altered = log.map((e) => (e.seq === 6 ? { ...e, actor: 'corp:mallory' } : e));
    expect(await check({ checkpoint: checkpointOf(log, 20), events: altered })).toMatchObject({
      ok: false,
      events: 5,
      brokenAt: 6,
      reason: 'altered',
      detail: 'chain break at seq 6: event altered',
    });
  });

  it('reports a missing event at its seq', async () => {
    const holed = log.filter((e) => e.seq !== 9);
    expect(await check({ checkpoint: checkpointOf(log, 20), events: holed })).toMatchObject({
      ok: false,
      brokenAt: 9,
      reason: 'missing',
    });
  });

  it('reports a log shorter than its checkpoint', async () => {
    expect(
      await check({ checkpoint: checkpointOf(log, 20), events: log.slice(0, 17) }),
    ).toMatchObject({
      ok: false,
      events: 17,
      brokenAt: 18,
      reason: 'truncated',
      detail: 'log is shorter than its checkpoint (size 20): 17 events',
    });
  });

  it('reports a consistently rewritten chain under the old checkpoint', async () => {
    const rewritten = chainOf(20, (seq) => (seq === 3 ? 'corp:mallory' : 'corp:alice'));
    expect(await check({ checkpoint: checkpointOf(log, 20), events: rewritten })).toMatchObject({
      ok: false,
      reason: 'checkpoint_mismatch',
      detail: "checkpoint does not verify: the events' tree at size 20 is not the one signed",
    });
  });

  it.each([
    ['another key of the same name', checkpointOf(log, 20, generateSigner(ORIGIN))],
    ['another log', checkpointOf(log, 20, generateSigner('elsewhere.test/audit'))],
    ['a changed size', checkpointOf(log, 20).replace('\n20\n', '\n19\n')],
    ['no signature', checkpointOf(log, 20).split('\n\n')[0] + '\n'],
  ])('refuses a checkpoint signed by %s', async (_name, checkpoint) => {
    const report = await check({ checkpoint, events: log });
    expect(report).toMatchObject({ ok: false, reason: 'checkpoint_invalid' });
    expect(report.detail).toMatch(/^checkpoint does not verify/);
  });

  it('refuses a log key that is not one', async () => {
    const report = await verifyLogOffline({
      vkeys: 'not a key',
      checkpoint: checkpointOf(log, 20),
      events: stream(log),
    });
    expect(report).toMatchObject({ ok: false, reason: 'checkpoint_invalid' });
  });
});

describe('verifyLogOffline with a saved checkpoint', () => {
  const log = chainOf(40);

  it.each([
    [0, 40],
    [1, 40],
    [13, 33],
    [16, 40],
    [40, 40],
  ])('proves a saved size %i a prefix of the checkpoint of size %i', async (from, to) => {
    const asked: Array<[number, number]> = [];
    const report = await check({
      checkpoint: checkpointOf(log, to),
      saved: checkpointOf(log, from),
      consistencyProof: (a, b) => {
        asked.push([a, b]);
        return proofFrom(log)(a, b);
      },
      events: log,
    });
    expect(report).toMatchObject({ ok: true, saved: { size: from }, checkpoint: { size: to } });
    expect(asked).toEqual([[from, to]]);
  });

  it('reports a log rewritten since the saved checkpoint, with a fresh checkpoint over it', async () => {
    const rewritten = chainOf(45, (seq) => (seq === 3 ? 'corp:mallory' : 'corp:alice'));
    const report = await check({
      checkpoint: checkpointOf(rewritten, 45),
      saved: checkpointOf(log, 30),
      consistencyProof: proofFrom(rewritten),
      events: rewritten,
    });
    expect(report).toMatchObject({
      ok: false,
      reason: 'rewritten',
      detail:
        'log was rewritten since the saved checkpoint (size 30): its events no longer hash to the saved root',
    });
  });

  it("reports a consistency proof that does not verify even when the events' tree does", async () => {
    const forged = async (from: number, to: number) => {
      const proof = await proofFrom(log)(from, to);
      return [Buffer.alloc(32, 7).toString('base64'), ...proof.slice(1)];
    };
    const report = await check({
      checkpoint: checkpointOf(log, 40),
      saved: checkpointOf(log, 13),
      consistencyProof: forged,
      events: log,
    });
    expect(report).toMatchObject({ ok: false, reason: 'rewritten' });
    expect(report.detail).toContain('consistency proof to size 40 does not verify');
  });

  it('refuses a consistency proof that is not base64', async () => {
    const report = await check({
      checkpoint: checkpointOf(log, 40),
      saved: checkpointOf(log, 13),
      consistencyProof: () => Promise.resolve(['not base64!']),
      events: log,
    });
    expect(report).toMatchObject({ ok: false, reason: 'rewritten' });
  });

  it('reports the newest events deleted below the saved size', async () => {
    const report = await check({
      checkpoint: checkpointOf(log, 40),
      saved: checkpointOf(log, 35),
      consistencyProof: proofFrom(log),
      events: log.slice(0, 30),
    });
    expect(report).toMatchObject({
      ok: false,
      events: 30,
      brokenAt: 31,
      reason: 'shorter',
      detail: 'log is shorter than the saved checkpoint (size 35): 30 events',
    });
  });

  it('reports a latest checkpoint older than the saved one', async () => {
    const report = await check({
      checkpoint: checkpointOf(log, 20),
      saved: checkpointOf(log, 35),
      consistencyProof: proofFrom(log),
      events: log,
    });
    expect(report).toMatchObject({ ok: false, reason: 'shorter' });
    expect(report.detail).toMatch(/^log is shorter than the saved checkpoint \(size 35\)/);
  });

  it('refuses a saved checkpoint of another key', async () => {
    const report = await check({
      checkpoint: checkpointOf(log, 40),
      saved: checkpointOf(log, 13, generateSigner(ORIGIN)),
      consistencyProof: proofFrom(log),
      events: log,
    });
    expect(report).toMatchObject({ ok: false, reason: 'saved_checkpoint_invalid' });
    expect(report.detail).toMatch(/^saved checkpoint does not verify with the log key/);
  });
});

describe('LogReplay', () => {
  it('keeps the root at each size asked for, and only those', () => {
    const log = chainOf(10);
    const replay = new LogReplay([0, 3, 10]);
    for (const event of log) replay.add(event);
    const rootOf = (n: number) =>
      Buffer.from(rootHash(log.slice(0, n).map(eventLeafHash))).toString('base64');
    expect([0, 3, 10].map((n) => replay.rootAt(n))).toEqual([0, 3, 10].map(rootOf));
    expect(replay.rootAt(5)).toBeUndefined();
    expect(replay.rootHash()).toBe(rootOf(10));
  });
});
