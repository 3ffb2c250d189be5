import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Nanoseconds a task has run on a CPU: the first field of /proc/<pid>/schedstat. Exact, unlike
 * /proc/<pid>/stat's 10 ms ticks, which a backend doing 1 ms of work per flow rounds to nothing.
 */
function cpuNanoseconds(schedstatPath: string): number {
  return Number(readFileSync(schedstatPath, 'utf8').split(' ')[0]);
}

/** CPU seconds the main JavaScript thread has used (its task's, not the whole process's). */
export function mainThreadCpuSeconds(): number {
  try {
    return cpuNanoseconds(`/proc/self/task/${process.pid}/schedstat`) / 1e9;
  } catch {
    return NaN;
  }
}

/** CPU used so far (ns) by each PostgreSQL backend serving one database (its command line names it). */
export function postgresBackendTicks(database: string): Map<string, number> {
  const used = new Map<string, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return used;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.startsWith('postgres:') || !cmdline.includes(` ${database} `)) continue;
      used.set(pid, cpuNanoseconds(`/proc/${pid}/schedstat`));
    } catch {
      // The process ended between readdir and read.
    }
  }
  return used;
}

/**
 * CPU seconds the backends of `after` used since `before`. A backend that exited in between (an
 * idle pool connection closing) is left out rather than subtracted; WAL writer and checkpointer
 * are not backends of the database and are not counted.
 */
export function postgresCpuSecondsBetween(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): number {
  let used = 0;
  for (const [pid, now] of after) used += now - (before.get(pid) ?? 0);
  return used / 1e9;
}

export interface LockSampler {
  /** Stops sampling: the sum of waiting transactions over all samples, and the sample count. */
  stop(): Promise<{ waiting: number; samples: number }>;
}

/** Samples pg_locks every `intervalMs` for sessions waiting on an advisory lock in `database`. */
export async function sampleAdvisoryWaits(
  adminUrl: string,
  database: string,
  intervalMs = 25,
): Promise<LockSampler> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  let running = true;
  let waiting = 0;
  let samples = 0;
  const loop = (async () => {
    while (running) {
      const result = await client.query<{ waiting: string }>(
        `SELECT count(*) AS waiting FROM pg_locks l JOIN pg_database d ON d.oid = l.database
         WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = $1`,
        [database],
      );
      waiting += Number(result.rows[0]?.waiting ?? 0);
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await client.end();
      return { waiting, samples };
    },
  };
}

/**
 * With BENCH_CPU_PROFILE=<dir>, a V8 CPU profile of this process (sampled every 100 µs) from
 * `startCpuProfile` to `stop`, written as <dir>/<label>.cpuprofile for Chrome DevTools or
 * speedscope: where the main thread spends a drain, without the setup around it.
 */
export async function startCpuProfile(): Promise<
  { stop(label: string): Promise<void> } | undefined
> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return {
    async stop(label: string) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${label}.cpuprofile`), JSON.stringify(profile));
    },
  };
}
