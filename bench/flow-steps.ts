import { performance } from 'node:perf_hooks';
import { mainThreadCpuSeconds, postgresBackendTicks, postgresCpuSecondsBetween } from './probes.js';
import type { Percentiles } from './support.js';
import { percentiles, runConcurrently } from './support.js';

export type StepName = 'create' | 'approve' | 'mint';
export const STEP_NAMES: readonly StepName[] = ['create', 'approve', 'mint'];

/** A flow taken apart: `create` answers a handle that `approve` and then `mint` take. */
export interface FlowSteps<T> {
  create(): Promise<T>;
  approve(handle: T): Promise<void>;
  mint(handle: T): Promise<void>;
}

export interface StepFigures {
  step: StepName;
  rate: number;
  latency: Percentiles;
  mainThreadMs: number;
  nodeCpuMs: number;
  pgCpuMs: number;
}

/**
 * Each step on its own at `concurrency`: `count` creates, then their approvals, then their mints,
 * each phase's CPU (main thread, whole Node process, the database's backends) divided by the
 * steps it ran. The broker's integrator runs meanwhile and counts in the phase it ran in.
 */
export async function measureSteps<T>(
  steps: FlowSteps<T>,
  database: string,
  count: number,
  concurrency: number,
): Promise<StepFigures[]> {
  const handles: T[] = [];
  const phase = async (step: StepName, work: (i: number) => Promise<void>) => {
    const times: number[] = [];
    const pgBefore = postgresBackendTicks(database);
    const mainBefore = mainThreadCpuSeconds();
    const { seconds, cpuSeconds } = await runConcurrently(count, concurrency, async (i) => {
      const started = performance.now();
      await work(i);
      times.push(performance.now() - started);
    });
    const pgSeconds = postgresCpuSecondsBetween(pgBefore, postgresBackendTicks(database));
    const per = (s: number) => (s * 1000) / count;
    return {
      step,
      rate: count / seconds,
      latency: percentiles(times),
      mainThreadMs: per(mainThreadCpuSeconds() - mainBefore),
      nodeCpuMs: per(cpuSeconds),
      pgCpuMs: per(pgSeconds),
    };
  };
  return [
    await phase('create', async (i) => {
      handles[i] = await steps.create();
    }),
    await phase('approve', (i) => steps.approve(handles[i])),
    await phase('mint', (i) => steps.mint(handles[i])),
  ];
}
