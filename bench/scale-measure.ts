import { performance } from 'node:perf_hooks';
import type { ServiceProcess } from './scale-processes.js';
import type { HttpClient } from './support.js';
import { percentiles } from './support.js';

// The measurements of bench/scale.ts: what the processes use while sweeps run (RSS and CPU each
// second), what the sweep histogram says, and the API's latency at a steady rate.

interface Sample {
  at: number;
  rssMb: number;
  cpuS: number;
  mainS: number;
}

export interface RssFigures {
  minMb: number;
  maxMb: number;
  firstMb: number;
  lastMb: number;
}

export interface CycleFigures {
  /** Number of whole cycles in the window. */
  cycles: number;
  /** CPU ms per cycle, whole process (all threads) and main thread (the event loop). */
  processMs: { p50: number; max: number; all: number[] };
  mainMs: { p50: number; max: number; all: number[] };
}

const round = (n: number) => Math.round(n * 10) / 10;

/** RSS and CPU of each process, read from /proc every second until stopped. */
export class ProcessSampler {
  private readonly samples = new Map<ServiceProcess, Sample[]>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly processes: readonly ServiceProcess[]) {}

  start(): void {
    this.take();
    this.timer = setInterval(() => this.take(), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.take();
  }

  rss(process: ServiceProcess): RssFigures {
    const rss = this.of(process)
      .map((s) => s.rssMb)
      .filter(Number.isFinite);
    return {
      minMb: round(Math.min(...rss)),
      maxMb: round(Math.max(...rss)),
      firstMb: round(rss[0] ?? NaN),
      lastMb: round(rss[rss.length - 1] ?? NaN),
    };
  }

  /** CPU used in each consecutive `cycleS`-second slice of the sampled window. */
  cycles(process: ServiceProcess, cycleS: number): CycleFigures {
    const samples = this.of(process);
    const processMs: number[] = [];
    const mainMs: number[] = [];
    let from = samples[0];
    for (const sample of samples) {
      if (!from || sample.at - from.at < cycleS * 1000 - 100) continue;
      processMs.push(Math.round((sample.cpuS - from.cpuS) * 1000));
      mainMs.push(Math.round((sample.mainS - from.mainS) * 1000));
      from = sample;
    }
    const summary = (all: number[]) => ({
      p50: percentiles(all).p50,
      max: all.length ? Math.max(...all) : NaN,
      all,
    });
    return { cycles: processMs.length, processMs: summary(processMs), mainMs: summary(mainMs) };
  }

  private of(process: ServiceProcess): Sample[] {
    return this.samples.get(process) ?? [];
  }

  private take(): void {
    const at = performance.now();
    for (const process of this.processes) {
      const cpu = process.cpu();
      const list = this.samples.get(process) ?? [];
      list.push({ at, rssMb: process.rssMb(), cpuS: cpu.process, mainS: cpu.main });
      this.samples.set(process, list);
    }
  }
}

export interface Histogram {
  count: number;
  sum: number;
  /** Cumulative counts by upper bound, label sets summed. */
  buckets: Map<number, number>;
}

/** A Prometheus histogram from /metrics text, or undefined when the process does not export it. */
export function parseHistogram(text: string | undefined, name: string): Histogram | undefined {
  if (!text?.includes(`${name}_count`)) return undefined;
  const histogram: Histogram = { count: 0, sum: 0, buckets: new Map() };
  for (const line of text.split('\n')) {
    const match = /^(\w+?)(_bucket|_sum|_count)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const value = Number(match[4]);
    if (match[2] === '_sum') histogram.sum += value;
    else if (match[2] === '_count') histogram.count += value;
    else {
      const le = /le="([^"]+)"/.exec(match[3] ?? '')?.[1];
      const bound = le === '+Inf' ? Infinity : Number(le);
      histogram.buckets.set(bound, (histogram.buckets.get(bound) ?? 0) + value);
    }
  }
  return histogram;
}

export interface SweepFigures {
  sweeps: number;
  meanMs: number;
  /** Upper bounds from the buckets: no sweep in the window took longer than `maxBoundMs`. */
  p50BoundMs: number;
  maxBoundMs: number;
}

/** The sweeps that ended between two scrapes of the same process. */
export function sweepsBetween(before: Histogram, after: Histogram): SweepFigures {
  const sweeps = after.count - before.count;
  const bound = (share: number) => {
    const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
    const found = bounds.find(
      (le) => after.buckets.get(le)! - (before.buckets.get(le) ?? 0) >= Math.ceil(share * sweeps),
    );
    return found === undefined ? NaN : found * 1000;
  };
  return {
    sweeps,
    meanMs: sweeps > 0 ? Math.round(((after.sum - before.sum) / sweeps) * 1000) : NaN,
    p50BoundMs: sweeps > 0 ? bound(0.5) : NaN,
    maxBoundMs: sweeps > 0 ? bound(1) : NaN,
  };
}

export interface LatencyFigures {
  started: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Starts `task` `rate` times a second for `seconds`, whether or not earlier ones have answered
 * (an open loop: a slow broker meets the same arrivals, as it would from real clients), and
 * times each from its start. A task answers false when the broker refused it; one that has not
 * answered within `timeoutMs` counts as failed too (a client gives up; the phase stays bounded).
 */
export async function atSteadyRate(
  rate: number,
  seconds: number,
  task: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<LatencyFigures> {
  const times: number[] = [];
  const running: Promise<void>[] = [];
  let failed = 0;
  const total = Math.round(rate * seconds);
  const begin = performance.now();
  for (let i = 0; i < total; i++) {
    const startAt = begin + (i * 1000) / rate;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - performance.now())));
    const started = performance.now();
    running.push(
      withDeadline(task(), timeoutMs).then(
        (ok) => {
          if (ok) times.push(performance.now() - started);
          else failed += 1;
        },
        () => {
          failed += 1;
        },
      ),
    );
  }
  await Promise.all(running);
  const { p50, p99 } = percentiles(times);
  return {
    started: total,
    failed,
    p50: Math.round(p50),
    p99: Math.round(p99),
    max: Math.round(Math.max(...times)),
  };
}

const PAGE_TIMEOUT_MS = 30_000;

/** `work`, or a rejection once `ms` have passed without its answer (the work itself runs on). */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export interface PagingFigures {
  pages: number;
  items: number;
  /** Whether the last page was reached (not stopped by the page or time budget, nor a failure). */
  complete: boolean;
  totalS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Mean ms of the first and of the last ten pages: whether a page costs more the deeper it is. */
  firstTenMs: number;
  lastTenMs: number;
  failed: string | undefined;
}

/** Follows the cursor from the first page on, one page at a time, until the last or a budget. */
export async function pageThrough(
  api: HttpClient,
  token: string,
  query: string,
  budget: { pages?: number; seconds?: number } = {},
): Promise<PagingFigures> {
  const times: number[] = [];
  let items = 0;
  let cursor: string | undefined;
  let failed: string | undefined;
  const started = performance.now();
  const withinBudget = () =>
    times.length < (budget.pages ?? Infinity) &&
    performance.now() - started < (budget.seconds ?? Infinity) * 1000;
  do {
    const path = `/v1/grants?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const pageStarted = performance.now();
    const page = await withDeadline(api.get(path, token), PAGE_TIMEOUT_MS).catch(() => undefined);
    times.push(performance.now() - pageStarted);
    if (!page) {
      failed = `no answer within ${PAGE_TIMEOUT_MS} ms after ${times.length - 1} pages`;
      cursor = undefined;
      break;
    }
    if (page.status !== 200) {
      failed = `${page.status} ${String(page.body.error)} after ${times.length - 1} pages`;
      cursor = undefined;
      break;
    }
    items += (page.body.items as unknown[]).length;
    cursor = page.body.nextCursor as string | undefined;
  } while (cursor && withinBudget());
  const { p50, p99 } = percentiles(times);
  const mean = (sample: number[]) => round(sample.reduce((a, b) => a + b, 0) / sample.length);
  return {
    pages: times.length,
    items,
    complete: !cursor && !failed,
    totalS: round((performance.now() - started) / 1000),
    p50Ms: round(p50),
    p99Ms: round(p99),
    maxMs: round(Math.max(...times)),
    firstTenMs: mean(times.slice(0, 10)),
    lastTenMs: mean(times.slice(-10)),
    failed,
  };
}
