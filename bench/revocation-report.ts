import { EXPIRY_BATCH } from '#access';
import type { LagStats } from './revocation-support.js';

export const REVOCATION_HEADING = '## Revocation at expiry';

export type ScenarioKey = 'raw' | 'buckets' | 'sweep' | 'per-grant' | 'spread';
export type TargetName = 'together10k' | 'together100k' | 'spread';

export interface Targets {
  together10k: { p99: number };
  together100k: { p99: number; max: number };
  spread: { p99: number };
}

export interface ScenarioResult {
  key: ScenarioKey;
  n: number;
  /** Redis `hz` during the run; NaN where Redis plays no part. */
  hz: number;
  /** The target this run is held to. */
  target?: TargetName;
  enqueue?: { perGrantUs: number; rate: number; inFlight?: number };
  /** used_memory growth after scheduling, and the keys under the run's prefix with their bytes. */
  memory?: { usedDelta: number; keys: number; keyBytes: number };
  /** Delayed jobs made. */
  jobs?: number;
  /** Raw jobs: processing start - due. Grants: `ended_at - expires_at` from the table. */
  lag: LagStats;
  /** Grants: commit of the ending transaction - `expires_at`. */
  committed?: LagStats;
  ended: number;
  events?: number;
  eventGrants?: number;
  /** Raw jobs: last job - due instant. Grants: last commit - last expiry. */
  drainMs: number;
  /** First ending transaction's start to the last commit. */
  spanMs?: number;
  /** First ending transaction's start - first expiry. */
  firstPickupMs?: number;
  transactions?: number;
  transactionMs?: number;
  nodeCpuS?: number;
  pgCpuS?: number;
  phases?: Record<string, { ms: number; count: number }>;
  lockWaiting?: number;
  /** Set when the shipped worker ran with a concurrency other than its default of 1. */
  workerConcurrency?: number;
  /** Diagnostic: `ANALYZE grants` ran after the insert. */
  analyzed?: boolean;
  /** The plans PostgreSQL chose for the claim and the UPDATE with every grant due (EXPLAIN). */
  claimPlan?: string;
  updatePlan?: string;
  /** Of `memory.keyBytes`: the queue's event stream. */
  eventsBytes?: number;
  /** Full flows against a broker process on the same database, before and during the drain. */
  flows?: { lanes: number; before: FlowStats; during: FlowStats; failures: string };
}

export interface FlowStats {
  n: number;
  p50: number;
  p99: number;
}

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  node: string;
  postgres: string;
  redis: string;
  hz: number;
  loadBefore: string;
  loadAfter: string;
  minutes: number;
}

export interface RevocationFigures {
  machine: Machine;
  results: ScenarioResult[];
  targets: Targets;
  bucketMs: number;
  rawConcurrency: number;
  perGrantConcurrency: number;
  enqueueInFlight: number;
  spread: { rate: number; seconds: number };
  /** Grants per ending transaction, as shipped. */
  batch: number;
  /** Building and hashing one batch's chained audit events, measured apart (ms). */
  hashingMs: number;
  diagnosticConcurrency: number;
}

const LABELS: Readonly<Record<ScenarioKey, string>> = {
  raw: 'raw BullMQ: trivial job per grant, processor does nothing',
  buckets: `shipped: bucket jobs (50 ms) → batches of ${EXPIRY_BATCH}`,
  sweep: 'sweep alone: `expireDue` at the end of the due second',
  'per-grant': 'per-grant jobs: `revoke-<id>`, one transaction each',
  spread: 'shipped: bucket jobs, expiries spread evenly',
};

function label(r: ScenarioResult): string {
  const notes = [
    ...(r.analyzed ? ['`ANALYZE grants` after the insert'] : []),
    ...(r.workerConcurrency ? [`worker concurrency ${r.workerConcurrency}`] : []),
  ];
  return notes.length > 0 ? `${LABELS[r.key]}, ${notes.join(', ')} (diagnostic)` : LABELS[r.key];
}

const isDiagnostic = (r: ScenarioResult) => Boolean(r.analyzed || r.workerConcurrency);

const int = (value: number) => (Number.isFinite(value) ? Math.round(value).toString() : '–');
const count = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
const seconds = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '–');
const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : '–';
const bytes = (value: number) =>
  !Number.isFinite(value) ? '–' : value < 10 ? value.toFixed(2) : Math.round(value).toString();

export function targetText(targets: Targets, name: TargetName): string {
  switch (name) {
    case 'together10k':
      return `p99 < ${targets.together10k.p99} ms`;
    case 'together100k':
      return `p99 < ${targets.together100k.p99} ms, max < ${targets.together100k.max} ms`;
    case 'spread':
      return `p99 < ${targets.spread.p99} ms`;
  }
}

function meets(targets: Targets, name: TargetName, lag: LagStats): boolean {
  switch (name) {
    case 'together10k':
      return lag.p99 < targets.together10k.p99;
    case 'together100k':
      return lag.p99 < targets.together100k.p99 && lag.max < targets.together100k.max;
    case 'spread':
      return lag.p99 < targets.spread.p99;
  }
}

/** "met" / "missed", judged on `ended_at` and, where measured, at commit. */
export function verdict(targets: Targets, result: ScenarioResult): string {
  if (!result.target) return '–';
  const recorded = meets(targets, result.target, result.lag);
  const committed = result.committed ? meets(targets, result.target, result.committed) : recorded;
  const incomplete = result.ended < result.n ? ` (only ${result.ended} ended)` : '';
  if (recorded && committed) return `met${incomplete}`;
  if (!recorded && !committed) return `**missed**${incomplete}`;
  return recorded
    ? `met by ended_at, **missed at commit**${incomplete}`
    : `**missed**${incomplete}`;
}

function due(figures: RevocationFigures, result: ScenarioResult): string {
  if (result.key === 'spread') return `${figures.spread.rate}/s for ${figures.spread.seconds} s`;
  return result.key === 'raw' ? 'same instant' : 'same second';
}

function mainTable(figures: RevocationFigures): string[] {
  const rows = [
    '| design | grants | due | Redis hz | enqueue µs/grant | jobs / Redis keys | Redis bytes/grant (used_memory; keys) | lag p50 (ms) | lag p99 (ms) | lag max (ms) | at commit p50 / p99 / max (ms) | last end after last expiry (s) | target | verdict |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const r of figures.results) {
    const enqueue = r.enqueue
      ? `${fixed(r.enqueue.perGrantUs, 2)}${r.enqueue.inFlight ? ` (${r.enqueue.inFlight} in flight)` : ''}`
      : '–';
    const jobs = r.memory ? `${r.jobs ?? r.n} / ${r.memory.keys}` : '–';
    const memory = r.memory
      ? `${bytes(r.memory.usedDelta / r.n)}; ${bytes(r.memory.keyBytes / r.n)}`
      : '–';
    const committed = r.committed
      ? `${int(r.committed.p50)} / ${int(r.committed.p99)} / ${int(r.committed.max)}`
      : '–';
    rows.push(
      `| ${label(r)} | ${count(r.n)} | ${due(figures, r)} | ${Number.isFinite(r.hz) ? r.hz : '–'} | ${enqueue} | ${jobs} | ${memory} | ${int(r.lag.p50)} | ${int(r.lag.p99)} | ${int(r.lag.max)} | ${committed} | ${seconds(r.drainMs)} | ${r.target ? targetText(figures.targets, r.target) : '–'} | ${verdict(figures.targets, r)} |`,
    );
  }
  return rows;
}

const PHASE_COLUMNS = [
  ['claim', 'claim (SELECT … FOR UPDATE)'],
  ['update', 'UPDATE grants (with the DELETE of their revocations owed)'],
  ['auditInsert', 'audit events into audit_pending'],
  ['commit', 'COMMIT'],
] as const;

/** Milliseconds per transaction in each phase, and what the statements leave (JavaScript). */
export function phasesPerTransaction(r: ScenarioResult) {
  const transactions = Math.max(r.transactions ?? 0, 1);
  const per = (phase: string) => (r.phases?.[phase]?.ms ?? 0) / transactions;
  // The integrator's statements are its own transactions', not the ending transactions'.
  const statements = Object.entries(r.phases ?? {})
    .filter(([phase]) => phase !== 'integrator')
    .reduce((sum, [, p]) => sum + p.ms, 0);
  return {
    per,
    total: (r.transactionMs ?? NaN) / transactions,
    rest: ((r.transactionMs ?? NaN) - statements) / transactions,
    begin: per('begin') + per('other'),
  };
}

function phaseTable(figures: RevocationFigures): string[] {
  const rows = [
    `| run | transactions | grants / transaction | grants/s (first claim → last commit) | ${PHASE_COLUMNS.map(([, label]) => `${label} ms`).join(' | ')} | BEGIN and other SQL ms | rest: JavaScript (TypeORM, the worker's thread, event loop) ms | transaction ms | the integrator's statements meanwhile, ms per ending transaction | Node main thread CPU (s) | PostgreSQL CPU (s) |`,
    `| --- | ${Array.from({ length: PHASE_COLUMNS.length + 10 }, () => '---:').join(' | ')} |`,
  ];
  for (const r of figures.results) {
    if (r.key === 'raw' || r.key === 'spread' || !r.transactions) continue;
    const p = phasesPerTransaction(r);
    rows.push(
      `| ${label(r)}, ${count(r.n)} | ${r.transactions} | ${fixed(r.ended / r.transactions, 1)} | ${int(r.ended / ((r.spanMs ?? NaN) / 1000))} | ${PHASE_COLUMNS.map(([phase]) => fixed(p.per(phase), 2)).join(' | ')} | ${fixed(p.begin, 2)} | ${fixed(p.rest, 2)} | ${fixed(p.total, 2)} | ${fixed(p.per('integrator'), 2)} | ${fixed(r.nodeCpuS ?? NaN, 2)} | ${fixed(r.pgCpuS ?? NaN, 2)} |`,
    );
  }
  return rows;
}

function find(figures: RevocationFigures, key: ScenarioKey, target?: TargetName, hz?: number) {
  return figures.results.find(
    (r) =>
      r.key === key &&
      !isDiagnostic(r) &&
      (target === undefined || r.target === target) &&
      (hz === undefined || r.hz === hz),
  );
}

/** Grants ended per second from the first ending transaction's start to the last commit. */
const grantsPerSecond = (r: ScenarioResult) => r.ended / ((r.spanMs ?? NaN) / 1000);

const lagText = (lag: LagStats) =>
  `p50 ${int(lag.p50)} ms, p99 ${int(lag.p99)} ms, max ${int(lag.max)} ms`;

function interpretation(figures: RevocationFigures): string[] {
  const { targets } = figures;
  const out: string[] = [];
  const b10 = find(figures, 'buckets', 'together10k');
  const b100 = find(figures, 'buckets', 'together100k');
  const raw10 = find(figures, 'raw', 'together10k');
  const raw100 = find(figures, 'raw', 'together100k');
  const s100 = find(figures, 'sweep', 'together100k');
  const s10 = find(figures, 'sweep', 'together10k');
  const perGrant = find(figures, 'per-grant');
  const spreads = figures.results.filter((r) => r.key === 'spread');

  const analysed = figures.results.find(
    (r) => r.key === 'buckets' && r.analyzed && !r.workerConcurrency,
  );
  const parallel = figures.results.find(
    (r) => r.key === 'buckets' && r.analyzed && r.workerConcurrency,
  );
  if (b10 && b100) {
    out.push(
      `**Shipped design, grants due together.** ${count(b10.n)} grants due in one second end with ` +
        `${lagText(b10.lag)} by \`ended_at\` (at commit ${lagText(b10.committed!)}): ` +
        `${verdict(targets, b10)} against ${targetText(targets, 'together10k')}. ${count(b100.n)} end with ` +
        `${lagText(b100.lag)} (at commit ${lagText(b100.committed!)}): ${verdict(targets, b100)} against ` +
        `${targetText(targets, 'together100k')}. Scheduling is cheap: one \`schedule()\` of ${count(b100.n)} ` +
        `instants makes ${b100.jobs} delayed jobs (${b100.memory?.keys} Redis keys, ` +
        `${int(b100.memory?.keyBytes ?? NaN)} bytes in all, ${bytes((b100.memory?.keyBytes ?? NaN) / b100.n)} bytes ` +
        `per grant) in ${fixed(((b100.enqueue?.perGrantUs ?? NaN) * b100.n) / 1000, 1)} ms ` +
        `(${fixed(b100.enqueue?.perGrantUs ?? NaN, 2)} µs per grant). The first job starts its first ` +
        `batch ${int(b100.firstPickupMs ?? NaN)} ms after the first expiry (the wait for its bucket's end, ` +
        `up to ${figures.bucketMs} ms, plus the Redis wake-up); from then on the lag is the drain: ` +
        `batches of ${count(figures.batch)} in one transaction each, two at a time, ${int(b100.ended / ((b100.spanMs ?? NaN) / 1000))} ` +
        `grants/s, so the last of ${count(b100.n)} ends ${seconds(b100.drainMs)} s after the last expiry.`,
    );
    // A batch's make-up where batches are full: the 100k run (its analysed rerun when it missed).
    const ref = analysed ?? b100;
    const p = phasesPerTransaction(ref);
    const audit = p.per('auditInsert');
    const share = (ms: number) => `${int((100 * ms) / p.total)} %`;
    out.push(
      `**Where a batch's time goes** (${label(ref)}, ${count(ref.n)}: ${fixed(p.total, 1)} ms per ` +
        `${count(figures.batch)}-grant transaction, round trips timed at the \`pg\` client): the claim ` +
        `(\`SELECT … FOR UPDATE OF g SKIP LOCKED\` over \`grant_revocations\` in due order) ` +
        `${fixed(p.per('claim'), 1)} ms (${share(p.per('claim'))}), the UPDATE of the grants with the ` +
        `DELETE of their \`grant_revocations\` rows (one statement) ${fixed(p.per('update'), 1)} ms ` +
        `(${share(p.per('update'))}), the audit events into \`audit_pending\` ${fixed(audit, 1)} ms ` +
        `(${share(audit)}, no lock), COMMIT ${fixed(p.per('commit'), 1)} ms, and ` +
        `${fixed(p.rest, 1)} ms (${share(p.rest)}) outside the statements (JavaScript on the worker's ` +
        `one thread, and waiting for it: two batches and the log's integrator share it). Meanwhile ` +
        `the integrator's own transactions took ${fixed(p.per('integrator'), 1)} ms of round trips per ` +
        `batch ended (building and hashing ${count(figures.batch)} chained events, measured apart, is ` +
        `${fixed(figures.hashingMs, 1)} ms of its JavaScript). CPU over that drain: ${fixed(ref.nodeCpuS ?? NaN, 1)} s on the Node main thread, ` +
        `${fixed(ref.pgCpuS ?? NaN, 1)} s in PostgreSQL, over ${seconds(ref.spanMs ?? NaN)} s. Job ` +
        `promotion is not where the time goes: ${b100.jobs} jobs in all, and the first ends ` +
        `everything due while the rest find little.`,
    );
  }
  if (b100 && !verdict(targets, b100).startsWith('met')) {
    const rate = grantsPerSecond(b100);
    const b10rate = b10 ? grantsPerSecond(b10) : NaN;
    // Expiries fill one second; the last must end within the max target after the first.
    const needed = b100.n / ((targets.together100k.max - 1000) / 1000);
    const p = phasesPerTransaction(b100);
    const perGrantUs = (cpuS: number | undefined) => ((cpuS ?? NaN) * 1e6) / b100.n;
    let text =
      `**Why ${count(b100.n)} miss.** The drain runs two batches at a time (the shipped job ` +
      `concurrency) at ${int(rate)} grants/s (${int(b10rate)} at ` +
      `${count(b10?.n ?? NaN)}); ending ${count(b100.n)} within ${targets.together100k.max / 1000} s of ` +
      `the first expiry needs about ${int(needed)} grants/s, and a p99 under ` +
      `${targets.together100k.p99 / 1000} s about ${int(b100.n / (targets.together100k.p99 / 1000 + 1))}. ` +
      `Per grant it costs ${int(perGrantUs(b100.nodeCpuS))} µs of Node CPU and ` +
      `${int(perGrantUs(b100.pgCpuS))} µs of PostgreSQL CPU on a 2-core machine that runs both (and ` +
      `Redis). Per batch: claim ${fixed(p.per('claim'), 1)} ms, UPDATE ${fixed(p.per('update'), 1)} ms, ` +
      `audit events ${fixed(p.per('auditInsert'), 1)} ms, and the integrator's statements ` +
      `${fixed(p.per('integrator'), 1)} ms per batch in its own transactions on the same thread and ` +
      `database (it integrates every event the drain writes while the drain runs). The table had never been analysed (a fresh database; in ` +
      `production the same holds whenever the statistics predate the burst), and with the settings ` +
      `the ending transaction applies PostgreSQL plans the claim as ` +
      `${b100.claimPlan ? `\`${b100.claimPlan}\`` : '(plan not captured)'} and the UPDATE as ` +
      `${b100.updatePlan ? `\`${b100.updatePlan}\`` : '(plan not captured)'}: the due index read ` +
      `in order and one primary-key lookup per grant for the claim, one per id in each table for the ` +
      `UPDATE and its DELETE.`;
    if (analysed) {
      const pa = phasesPerTransaction(analysed);
      text +=
        ` With \`ANALYZE grants\` run after the insert (a diagnostic, not something the product does) ` +
        `the claim is planned as ${analysed.claimPlan ? `\`${analysed.claimPlan}\`` : '(not captured)'} ` +
        `and the UPDATE as ${analysed.updatePlan ? `\`${analysed.updatePlan}\`` : '(not captured)'}; the claim ` +
        `takes ${fixed(pa.per('claim'), 1)} ms and the UPDATE ${fixed(pa.per('update'), 1)} ms per batch, ` +
        `${int(grantsPerSecond(analysed))} grants/s, and ${count(analysed.n)} end with ` +
        `${lagText(analysed.lag)} (at commit p99 ${int(analysed.committed?.p99 ?? NaN)} ms): ` +
        `${verdict(targets, analysed)}.`;
    }
    if (parallel) {
      text +=
        ` Adding worker concurrency ${parallel.workerConcurrency} (${parallel.workerConcurrency} bucket ` +
        `jobs at once, rows shared by SKIP LOCKED) gives ${int(grantsPerSecond(parallel))} grants/s and ` +
        `${lagText(parallel.lag)} (at commit p99 ${int(parallel.committed?.p99 ?? NaN)} ms): ` +
        `${verdict(targets, parallel)}; the machine has 2 cores (${fixed(parallel.nodeCpuS ?? NaN, 1)} s of Node main-thread CPU and ` +
        `${fixed(parallel.pgCpuS ?? NaN, 1)} s of PostgreSQL CPU over ${seconds(parallel.spanMs ?? NaN)} s).`;
    }
    out.push(text);
  }
  if (raw10 && raw100) {
    out.push(
      `**Raw BullMQ in the same run.** Trivial jobs, one per grant, ${figures.rawConcurrency} in flight: ` +
        `enqueued at ${int(raw100.enqueue?.rate ?? NaN)} jobs/s (${figures.enqueueInFlight} adds in flight), ` +
        `${int((raw100.memory?.usedDelta ?? NaN) / raw100.n)} bytes of Redis each; ${count(raw10.n)} due together ` +
        `drain with ${lagText(raw10.lag)}, ${count(raw100.n)} with ${lagText(raw100.lag)} ` +
        `(${int(raw100.n / (raw100.drainMs / 1000))} jobs/s). So with a job per grant, ${count(raw100.n)} due ` +
        `together ${verdict(targets, raw100).startsWith('met') ? 'would meet' : 'miss'} the ` +
        `${targetText(targets, 'together100k')} target before a job does any work.`,
    );
  }
  if (perGrant) {
    const rate = perGrant.ended / ((perGrant.spanMs ?? NaN) / 1000);
    const p = phasesPerTransaction(perGrant);
    const lock =
      perGrant.lockWaiting === undefined
        ? ''
        : `, ${fixed(perGrant.lockWaiting, 1)} transactions waiting for the audit lock on average`;
    out.push(
      `**Per-grant jobs (the design not chosen).** ${count(perGrant.n)} grants due in one second, each ended ` +
        `by its own \`revoke-<grantId>\` job (lock the grant, \`GrantEnder\`: guarded UPDATE and one audit ` +
        `event, COMMIT), ${figures.perGrantConcurrency} jobs in flight: ${int(rate)} grants/s${lock}, ` +
        `${lagText(perGrant.lag)} (at commit ${lagText(perGrant.committed!)}): ${verdict(targets, perGrant)} ` +
        `against ${perGrant.target ? targetText(targets, perGrant.target) : '–'}. A transaction takes ` +
        `${fixed(p.total, 1)} ms, of which COMMIT ${fixed(p.per('commit'), 1)} ms: a job per grant is a ` +
        `transaction, its round trips and a COMMIT (a WAL flush) per grant. At that rate 100k grants would ` +
        `take ${int(100_000 / rate)} s, which is why it was run at ${count(perGrant.n)} only. It also costs ` +
        `${int((perGrant.memory?.usedDelta ?? NaN) / perGrant.n)} bytes of Redis per grant (${perGrant.memory?.keys} ` +
        `keys) where bucket jobs cost ${bytes((b100?.memory?.keyBytes ?? NaN) / (b100?.n ?? NaN))}.`,
    );
  }
  if (s10 && s100) {
    out.push(
      `**The sweep alone** (no Redis; one \`expireDue('sweep')\` right after the due second, so every ` +
        `grant already waited up to 1 s for it) ends ${count(s100.n)} grants in ${seconds(s100.spanMs ?? NaN)} s ` +
        `(${int(s100.ended / ((s100.spanMs ?? NaN) / 1000))} grants/s, the same batches as the jobs run): ` +
        `${count(s10.n)} with ${lagText(s10.lag)}, ${count(s100.n)} with ${lagText(s100.lag)}. ` +
        `Run every \`revocation.sweepInterval\` (30 s by default) it adds up to that interval to every lag: ` +
        `it is the guarantee, not the fast path.`,
    );
  }
  if (spreads.length > 0) {
    const parts = spreads.map(
      (r) =>
        `at hz ${r.hz} ${lagText(r.lag)} (at commit p99 ${int(r.committed?.p99 ?? NaN)} ms): ${verdict(targets, r)}`,
    );
    const first = spreads[0];
    const hz100 = spreads.find((r) => r.hz === 100);
    const atDefault = spreads.find((r) => r.hz !== 100);
    let advice = '';
    if (!hz100 && atDefault && verdict(targets, atDefault).startsWith('met')) {
      advice =
        ` The target holds at Redis's default \`hz ${atDefault.hz}\`, so the bench did not rerun at ` +
        `\`hz 100\` (BENCH_HZ_COMPARE=1 does): the setting is not needed for it.`;
    }
    if (hz100 && atDefault) {
      const metDefault = verdict(targets, atDefault).startsWith('met');
      advice = metDefault
        ? ` The target holds at Redis's default; \`hz 100\` lowers the lag further (p99 ${int(atDefault.lag.p99)} → ${int(hz100.lag.p99)} ms) but is not needed.`
        : ` **Set \`hz 100\` in redis.conf** where this target matters: a delayed job wakes its worker only when Redis's event loop next checks blocked clients' timeouts, every 1/hz s (100 ms at the default 10).`;
    }
    out.push(
      `**Expiries spread out** (${figures.spread.rate}/s for ${figures.spread.seconds} s, each grant ` +
        `scheduled by its own \`schedule()\` call as a mint does, ${figures.enqueueInFlight} in flight: ` +
        `${fixed(first.enqueue?.perGrantUs ?? NaN, 1)} µs per grant, ${first.jobs} bucket jobs): ${parts.join('; ')}. ` +
        `The lag is the wait for the bucket's end (0–${figures.bucketMs} ms), the worker's wake-up (Redis ` +
        `checks blocked clients' timeouts every 1/hz s) and one small transaction. Scheduling per ` +
        `mint costs more than the bulk call (each is an \`addBulk\` of one job, most of them no-ops ` +
        `for an existing bucket), and every no-op add still appends a \`duplicated\` entry to the ` +
        `queue's event stream: of the ${int(first.memory?.keyBytes ?? NaN)} bytes under the prefix, ` +
        `${int(first.eventsBytes ?? NaN)} are the event stream, which BullMQ caps at about 10,000 ` +
        `entries.${advice}`,
    );
  }
  const recordedVsCommit = b100?.committed
    ? ` (${count(b100.n)} run: p99 ${int(b100.lag.p99)} ms by \`ended_at\`, ${int(b100.committed.p99)} ms at commit)`
    : '';
  const grantRuns = figures.results.filter((r) => r.key !== 'raw');
  const wrong = grantRuns.filter(
    (r) => r.events !== r.n || r.eventGrants !== r.n || r.ended !== r.n,
  );
  out.push(
    wrong.length === 0
      ? `**Exactly once.** In every run each grant ended, with exactly one \`grant.expired\` audit event ` +
          `(as many events as grants, each for a different grant).`
      : `**Not exactly once:** ${wrong
          .map(
            (r) =>
              `${label(r)}, ${count(r.n)}: ${r.ended} ended, ${r.events} events for ${r.eventGrants} grants`,
          )
          .join('; ')}.`,
  );
  out.push(
    `**Note on \`ended_at\`.** \`ExpireGrants\` takes \`now\` before its claim query and records it as ` +
      `\`ended_at\` (and as \`lagMs\` in the audit event and the lag metric), but the grant reads as ended ` +
      `only when the batch commits, one batch later${recordedVsCommit}. The "at commit" column is measured ` +
      `by the bench around each ending transaction.`,
  );
  return out;
}

/** Full flows against a broker process while a burst drains, next to before it (target < 100 ms). */
function flowsDuringDrain(figures: RevocationFigures): string[] {
  const run = figures.results.find((r) => r.flows);
  if (!run?.flows) return [];
  const { lanes, before, during, failures } = run.flows;
  const ms = (value: number) => fixed(value, 1);
  return [
    `**Full flows while ${run.n} grants drain.** A broker in a process of its own ` +
      '(bench/broker-process.ts) on the same database runs request → approve → mint over HTTP, ' +
      `${lanes} flows at a time, from before the burst until its last grant ended (the worker ` +
      'context ends the grants in the bench process, as `apps/worker` would beside the broker): ' +
      `${before.n} flows before the first expiry took p50 ${ms(before.p50)} ms, p99 ` +
      `${ms(before.p99)} ms; the ${during.n} started during the drain p50 ${ms(during.p50)} ms, ` +
      `p99 ${ms(during.p99)} ms: ${during.p99 < 100 ? 'met' : '**missed**'} against p99 < 100 ms` +
      `${failures ? ` (failures: ${failures})` : ''}. That run's drain: at commit p99 ` +
      `${run.committed ? fixed(run.committed.p99, 0) : '–'} ms.`,
    '',
  ];
}

export function renderRevocation(figures: RevocationFigures): string {
  const { machine } = figures;
  const lines = [
    REVOCATION_HEADING,
    '',
    `Measured by \`npm run bench:revocation\` (bench/revocation.ts) on ${machine.date}: ${machine.cpus} ` +
      `CPUs (${machine.cpuModel}), Node ${machine.node}, ${machine.postgres}, Redis ${machine.redis} ` +
      `(\`hz\` ${machine.hz}), everything on the one machine; the run took ${fixed(machine.minutes, 1)} min. ` +
      `Load average before / after: ${machine.loadBefore} / ${machine.loadAfter}; other work on the ` +
      `machine shows up in the figures.`,
    '',
    'Each run has a fresh PostgreSQL database (schema by the migrations) and a fresh BullMQ prefix. ' +
      'Grants are `jwt` grants inserted as rows with their `grant_revocations` rows, as a mint writes ' +
      'them (`GrantRepository.insert`, 500 per call), due in the same second ' +
      '(expiries spread evenly over it) or spread at a steady rate. The shipped design runs as ' +
      '`apps/worker` does, in one in-process `WorkerModule` context (the shipped job processor concurrency of 2, no ' +
      'periodic sweep, no start-up catch-up), scheduled by its `BullmqRevocationScheduler`. Lag is ' +
      '`ended_at - expires_at` read from the table after every grant ended, and, "at commit", the ' +
      'time the ending transaction committed minus `expires_at`; for raw jobs, when the processor ' +
      'started the job minus the instant it was due. Enqueue cost is the time to schedule divided by ' +
      'the grants; Redis bytes per grant are the growth of `used_memory` (other clients of the Redis ' +
      "add noise) and the `MEMORY USAGE` of the keys under the run's prefix, divided by the grants. " +
      'Nearest-rank percentiles.',
    '',
    '**How the diagnostics are taken.** Statements are timed at the `pg` client and grouped by kind ' +
      "(claim, UPDATE, audit events into `audit_pending`, COMMIT; a transaction of the log's " +
      "integrator, which runs in the same process, counts apart as the integrator's); plans are " +
      '`EXPLAIN` of the first ' +
      'claim and UPDATE the run sent, under the planner settings the ending transaction applies ' +
      '(sorts, bitmap scans, sequential scans, materialisation, hash and merge joins off).',
    '',
    ...mainTable(figures),
    '',
    ...flowsDuringDrain(figures),
    '### Where the time goes',
    '',
    'Per ending transaction: the round trip of each kind of statement, timed at the `pg` client, and ' +
      'what is left of the transaction (from `UnitOfWork.run` to its return) outside them. In the ' +
      'per-grant run transactions overlap, so waits (row locks, COMMIT) are in the figures. CPU ' +
      'is read from /proc over the drain.',
    '',
    ...phaseTable(figures),
    '',
    ...interpretation(figures).flatMap((paragraph) => [paragraph, '']),
  ];
  return lines.join('\n');
}
