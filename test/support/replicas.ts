import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Call } from './load.js';
import { recordCall } from './load.js';
import type { RunningProcess } from './processes.js';
import { startProcess } from './processes.js';

export interface ProcessSpec {
  app: 'broker' | 'worker';
  env: Record<string, string>;
}

/**
 * Spawns every process at once (each `startProcess` spawns before its first wait) and waits until
 * all answer /health/live. If one fails, the others are killed before the error is thrown, so a
 * failing start leaves no orphan.
 */
export async function startTogether(specs: readonly ProcessSpec[]): Promise<RunningProcess[]> {
  const results = await Promise.allSettled(specs.map((spec) => startProcess(spec.app, spec.env)));
  const started = results.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failures = results.flatMap((result) =>
    result.status === 'rejected' ? [String(result.reason)] : [],
  );
  if (failures.length === 0) return started;
  await Promise.all(started.map((running) => running.stop('SIGKILL')));
  throw new Error(`not every process came up:\n${failures.join('\n')}`);
}

/** Polls /health/ready until it answers 200, and returns that answer's body. */
export async function untilReady(
  running: RunningProcess,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Call | undefined;
  while (Date.now() < deadline) {
    last = await recordCall([], 'ready', `${running.url}/health/ready`);
    if (last.status === 200 && last.body) return last.body;
    await sleep(100);
  }
  throw new Error(
    `${running.url} not ready within ${timeoutMs} ms (last: ${last?.status ?? last?.error}):\n${running.output()}`,
  );
}

/** The policy hash a process reports in /health/ready (details.policy.hash); undefined if not ready. */
export async function readyPolicyHash(running: RunningProcess): Promise<string | undefined> {
  const call = await recordCall([], 'ready', `${running.url}/health/ready`);
  const details = call.body?.details as { policy?: { hash?: string } } | undefined;
  return call.status === 200 ? details?.policy?.hash : undefined;
}

/** A call as the round robin sent it: which replica it went to. */
export type RoutedCall = Call & { url: string };

/**
 * A client behind a round-robin load balancer: each call goes to the next replica; one that gets
 * no answer at all (connection refused or reset: a dead replica) is tried once on each of the
 * others, as a proxy retries an upstream that is down. Every attempt is recorded in `calls`.
 */
export class RoundRobin {
  readonly calls: RoutedCall[] = [];
  private next = 0;

  constructor(private readonly urls: readonly string[]) {}

  async send(
    what: string,
    path: string,
    init: { method?: string; token?: string; body?: object } = {},
  ): Promise<RoutedCall> {
    const first = this.next;
    this.next = (this.next + 1) % this.urls.length;
    let call: RoutedCall | undefined;
    for (let i = 0; i < this.urls.length; i += 1) {
      const url = this.urls[(first + i) % this.urls.length];
      call = { ...(await recordCall([], what, `${url}${path}`, init)), url };
      this.calls.push(call);
      if (call.status !== undefined) return call;
    }
    return call!;
  }
}

/** Runs `work` over `items` with at most `limit` at a time, in order of start. */
export async function inBatchesOf<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let cursor = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (cursor < items.length) {
      const index = cursor;
      cursor += 1;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** One `grant.expired` or `grant.revoked` event, wherever the log holds it for now. */
export interface GrantEnd {
  eventId: string;
  grantId: string;
  type: 'grant.expired' | 'grant.revoked';
  data: { source?: string; lagMs?: number; [key: string]: unknown };
}

/**
 * Every end event of the database's grants, read in one statement from the log (audit_events)
 * and from what is written but not yet integrated (audit_pending): one snapshot, so an event the
 * integrator moves between the two is seen exactly once.
 */
export async function grantEnds(db: pg.Client): Promise<GrantEnd[]> {
  const { rows } = await db.query<{
    event_id: string;
    grant_id: string;
    type: GrantEnd['type'];
    data: string;
  }>(
    `SELECT id AS event_id, grant_id, type, data::text AS data
       FROM audit_events WHERE type IN ('grant.expired', 'grant.revoked')
     UNION ALL
     SELECT event_id, grant_id, type, data::text
       FROM audit_pending WHERE type IN ('grant.expired', 'grant.revoked')`,
  );
  return rows.map((row) => ({
    eventId: row.event_id,
    grantId: row.grant_id,
    type: row.type,
    data: JSON.parse(row.data) as GrantEnd['data'],
  }));
}

/** How many end events each grant id has (grants without one are absent). */
export function endsPerGrant(ends: readonly GrantEnd[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const end of ends) counts.set(end.grantId, (counts.get(end.grantId) ?? 0) + 1);
  return counts;
}
