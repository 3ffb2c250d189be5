import type {
  CycleFigures,
  LatencyFigures,
  PagingFigures,
  RssFigures,
  SweepFigures,
} from './scale-measure.js';
import type { ServiceKind } from './scale-processes.js';

// The figures of bench/scale.ts (written as JSON with --out) and the markdown table that sets them
// against the targets of issue 14, item 7.

export type JobCounts = Record<string, number>;
export type PerProcess<T> = Partial<Record<ServiceKind, T>>;

export interface ScaleFigures {
  machine: Record<string, string | number>;
  options: {
    grants: number;
    hours: number;
    sweepSeconds: number;
    windowSeconds: number;
    pagingSeconds: number;
  };
  build: { insertS: number; analyzeS: number; bucketsOwed: number };
  ready: {
    /** First start on the grants built by SQL: nothing in Redis for them yet. */
    cold: PerProcess<number>;
    /** Both restarted with the jobs the first start scheduled still in Redis. */
    restart: PerProcess<number>;
    /** The broker restarted after the queue's keys were deleted (Redis lost its jobs). */
    afterLoss: PerProcess<number>;
  };
  /** After the cold start: seconds until the job counts stopped changing (or the cap). */
  settle: { seconds: number; stable: boolean };
  jobs: {
    /** Once the counts stopped changing after the first start (or at the cap). */
    afterColdStart: JobCounts;
    afterRestart: JobCounts;
    /** As soon as the restarted broker was ready, and at the end of the watch. */
    afterLoss: JobCounts;
    afterWatch: JobCounts;
  };
  redis: { usedMemoryMb: number; keys: number };
  window: {
    seconds: number;
    rss: PerProcess<RssFigures>;
    cycles: PerProcess<CycleFigures>;
    sweeps: PerProcess<SweepFigures | null>;
  };
  load: {
    seconds: number;
    rate: number;
    list: LatencyFigures;
    flow: LatencyFigures;
    /** What the refused requests answered. */
    failures: string;
    rss: PerProcess<RssFigures>;
  };
  admin: { all: PagingFigures; active: PagingFigures; overdue: PagingFigures };
  loss: {
    seconds: number;
    cycles: PerProcess<CycleFigures>;
    rss: PerProcess<RssFigures>;
    sweeps: PerProcess<SweepFigures | null>;
    /** Warnings and errors logged during the watch, by message. */
    complaints: PerProcess<Record<string, number>>;
    /** Of which in the last three cycles. */
    lateComplaints: number;
    redisCommandsPerS: number;
    settled: boolean;
  };
}

type Verdict = 'met' | 'missed' | 'n/a';
const verdict = (ok: boolean | undefined): Verdict =>
  ok === undefined ? 'n/a' : ok ? 'met' : 'missed';
const fmt = (n: number | undefined, unit = '') =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : `${Math.round(n * 10) / 10}${unit}`;
const jobsHeld = (counts: JobCounts) =>
  (counts.delayed ?? 0) + (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.prioritized ?? 0);

/** RSS under 300 MB and flat: its range under a fifth of its minimum. */
const rssMet = (rss: RssFigures | undefined) =>
  rss && rss.maxMb < 300 && rss.maxMb - rss.minMb < rss.minMb / 5;

function readyRow(label: string, ms: PerProcess<number>): string {
  const worst = Math.max(...Object.values(ms));
  const shown = Object.entries(ms)
    .map(([kind, value]) => `${kind} ${fmt(value / 1000, ' s')}`)
    .join(', ');
  return `| ${label} | ${shown} | < 5 s | ${verdict(worst < 5000)} |`;
}

function rssText(rss: PerProcess<RssFigures>): string {
  return Object.entries(rss)
    .map(([kind, r]) => `${kind} ${r.minMb}–${r.maxMb} MB (first ${r.firstMb}, last ${r.lastMb})`)
    .join('; ');
}

function cyclesText(cycles: PerProcess<CycleFigures>): string {
  return Object.entries(cycles)
    .map(
      ([kind, c]) =>
        `${kind} main thread p50 ${c.mainMs.p50} / max ${c.mainMs.max} ms, ` +
        `process p50 ${c.processMs.p50} / max ${c.processMs.max} ms (${c.cycles} cycles)`,
    )
    .join('; ');
}

function sweepText(sweeps: PerProcess<SweepFigures | null>): string {
  return Object.entries(sweeps)
    .map(([kind, s]) =>
      s
        ? `${kind} ${s.sweeps} sweeps, mean ${fmt(s.meanMs, ' ms')}, max ≤ ${fmt(s.maxBoundMs, ' ms')}`
        : `${kind} n/a (no countersign_revocation_sweep_seconds)`,
    )
    .join('; ');
}

function pagingText(p: PagingFigures): string {
  const failed = p.failed ? `, FAILED ${p.failed}` : '';
  const stopped = p.complete || p.failed ? '' : ' (stopped before the last page)';
  return (
    `${p.pages} pages (${p.items} grants) in ${p.totalS} s${stopped}, per page p50 ${p.p50Ms} / p99 ${p.p99Ms} / max ${p.maxMs} ms, ` +
    `first ten ${p.firstTenMs} ms, last ten ${p.lastTenMs} ms${failed}`
  );
}

export function renderScale(f: ScaleFigures): string {
  const worstMain = (cycles: PerProcess<CycleFigures>) =>
    Math.max(...Object.values(cycles).map((c) => c.mainMs.max));
  const sweepMax = Object.values(f.window.sweeps).map((s) => s?.maxBoundMs);
  const sweepWall = sweepMax.some((s) => s === undefined)
    ? undefined
    : Math.max(...sweepMax.map(Number));
  const heldAfterRestart = jobsHeld(f.jobs.afterRestart);
  const heldAfterLoss = jobsHeld(f.jobs.afterLoss);
  const horizonOnly = (held: number) => held < f.build.bucketsOwed / 20;
  const lines = [
    `Scale run: ${f.options.grants} active grants over ${f.options.hours} h, sweep every ${f.options.sweepSeconds} s ` +
      `(${f.machine.cpus}× ${f.machine.cpuModel}, Node ${f.machine.node}, ${f.machine.postgres}, Redis ${f.machine.redis}, ${f.machine.date}, commit ${f.machine.commit})`,
    '',
    '| Figure | Measured | Target | Verdict |',
    '| --- | --- | --- | --- |',
    readyRow('ready, first start (no jobs in Redis)', f.ready.cold),
    readyRow('ready, restart (jobs in Redis)', f.ready.restart),
    readyRow('ready, restart after Redis lost its jobs', f.ready.afterLoss),
    `| RSS over ${f.window.seconds} s of idle sweeps | ${rssText(f.window.rss)} | < 300 MB, flat (range < 20 %) | ${verdict(Object.values(f.window.rss).every(rssMet))} |`,
    `| RSS during API load | ${rssText(f.load.rss)} | < 300 MB, flat | ${verdict(Object.values(f.load.rss).every(rssMet))} |`,
    `| CPU per ${f.options.sweepSeconds} s cycle, idle (bounds a sweep's event-loop time) | ${cyclesText(f.window.cycles)} | < 100 ms | ${verdict(worstMain(f.window.cycles) < 100)} |`,
    `| sweep wall time (histogram) | ${sweepText(f.window.sweeps)} | < 1 s | ${verdict(sweepWall === undefined ? undefined : sweepWall <= 1000)} |`,
    `| API p99 during sweeps: list 50 grants (${f.load.rate}/s, ${f.load.seconds} s) | p50 ${f.load.list.p50} / p99 ${f.load.list.p99} / max ${f.load.list.max} ms, ${f.load.list.failed} failed | < 100 ms | ${verdict(f.load.list.p99 < 100 && f.load.list.failed === 0)} |`,
    `| API p99 during sweeps: full flow (${f.load.rate}/s) | p50 ${f.load.flow.p50} / p99 ${f.load.flow.p99} / max ${f.load.flow.max} ms, ${f.load.flow.failed} failed | < 100 ms | ${verdict(f.load.flow.p99 < 100 && f.load.flow.failed === 0)} |`,
    `| Redis jobs held after restart (${f.build.bucketsOwed} 50 ms buckets owed in all) | ${heldAfterRestart} (${JSON.stringify(f.jobs.afterRestart)}); ${f.redis.keys} keys, ${f.redis.usedMemoryMb} MB used by the server | horizon only (< 5 % of all buckets) | ${verdict(horizonOnly(heldAfterRestart))} |`,
    `| Redis jobs held after the loss: broker ready, then ${f.loss.seconds} s later | ${heldAfterLoss}, then ${jobsHeld(f.jobs.afterWatch)} (${JSON.stringify(f.jobs.afterWatch)}) | horizon only | ${verdict(horizonOnly(Math.max(heldAfterLoss, jobsHeld(f.jobs.afterWatch))))} |`,
    `| API requests refused during the load | ${f.load.failures || 'none'} | none | ${verdict(!f.load.failures)} |`,
    `| admin list, every page (limit 200) | ${pagingText(f.admin.all)} | pages through | ${verdict(f.admin.all.complete && f.admin.all.items >= f.options.grants)} |`,
    `| admin list ?status=active, first pages | ${pagingText(f.admin.active)} | — | ${verdict(!f.admin.active.failed)} |`,
    `| admin list ?overdue=true, first page | ${pagingText(f.admin.overdue)} | — | ${verdict(!f.admin.overdue.failed)} |`,
    `| after the loss, ${f.loss.seconds} s watched: CPU per cycle | ${cyclesText(f.loss.cycles)} | settles | ${verdict(f.loss.settled)} |`,
    `| after the loss: sweeps | ${sweepText(f.loss.sweeps)} | < 1 s | — |`,
    `| after the loss: RSS | ${rssText(f.loss.rss)} | < 300 MB | ${verdict(Object.values(f.loss.rss).every((r) => r.maxMb < 300))} |`,
    `| after the loss: warnings and errors logged | ${complaintsText(f.loss.complaints)} (${f.loss.lateComplaints} in the last three cycles); Redis ${f.loss.redisCommandsPerS} commands/s (whole server) | none | — |`,
    '',
    `Load average (1, 5, 15 min) before the run ${f.machine.loadBefore}, after ${f.machine.loadAfter}. ` +
      `Data: ${f.options.grants} grants inserted in ${f.build.insertS} s, ANALYZE ${f.build.analyzeS} s. ` +
      `After the first start the job counts ${f.settle.stable ? 'were stable' : 'were still changing'} after ${f.settle.seconds} s.`,
  ];
  return lines.join('\n');
}

function complaintsText(complaints: PerProcess<Record<string, number>>): string {
  const parts = Object.entries(complaints).flatMap(([kind, messages]) =>
    Object.entries(messages).map(([message, count]) => `${kind}: ${count}× “${message}”`),
  );
  return parts.length ? parts.join('; ') : 'none';
}
