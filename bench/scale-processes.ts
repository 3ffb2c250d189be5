import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// The broker and the worker of bench/scale.ts, each its shipped entrypoint in a process of its own
// (as production runs them, periodic sweeps included), and what /proc tells about them.

export type ServiceKind = 'broker' | 'worker';

const ENTRYPOINTS: Readonly<Record<ServiceKind, string>> = {
  broker: fileURLToPath(new URL('../apps/broker/src/main.js', import.meta.url)),
  worker: fileURLToPath(new URL('../apps/worker/src/main.js', import.meta.url)),
};
const PORT_VARIABLE: Readonly<Record<ServiceKind, string>> = {
  broker: 'PORT',
  worker: 'WORKER_PORT',
};
/** Kernel clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface CpuReading {
  /** utime + stime of the whole process (every thread: the event loop, GC, libuv), seconds. */
  process: number;
  /** CPU time of the main thread alone (the event loop), seconds, from its schedstat. */
  main: number;
}

/**
 * A shipped entrypoint on one port. Its JSON log lines (LOG_LEVEL from the environment) are
 * counted by message, digits folded, so a report can say what it complained about and how often.
 */
export class ServiceProcess {
  readonly complaints = new Map<string, number>();
  private readonly spawnedAt = performance.now();

  private constructor(
    readonly kind: ServiceKind,
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    // BENCH_LOG_DIR keeps every raw line too, one file per process, for reading what happened when.
    const logDir = process.env.BENCH_LOG_DIR;
    const count = (line: string) => {
      if (logDir) appendFileSync(`${logDir}/${kind}-${child.pid}.log`, `${line}\n`);
      const message = complaintOf(line);
      if (message) this.complaints.set(message, (this.complaints.get(message) ?? 0) + 1);
    };
    createInterface({ input: child.stdout! }).on('line', count);
    createInterface({ input: child.stderr! }).on('line', count);
  }

  static async start(kind: ServiceKind, env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [ENTRYPOINTS[kind]], {
      env: { ...process.env, ...env, [PORT_VARIABLE[kind]]: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(kind, child, `http://127.0.0.1:${port}`);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`the ${this.kind} did not start`);
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Milliseconds from spawn to the first 200 from /health/ready; throws past `timeoutMs`. */
  async ready(timeoutMs: number): Promise<number> {
    const deadline = this.spawnedAt + timeoutMs;
    while (performance.now() < deadline) {
      if (!this.alive) throw new Error(`the ${this.kind} exited (${this.child.exitCode})`);
      try {
        const response = await fetch(`${this.url}/health/ready`, {
          signal: AbortSignal.timeout(1000),
        });
        await response.arrayBuffer();
        if (response.status === 200) return performance.now() - this.spawnedAt;
      } catch {
        // Not listening yet, or too busy to answer within the second.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the ${this.kind} was not ready within ${timeoutMs} ms`);
  }

  async metrics(): Promise<string | undefined> {
    try {
      const response = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(5000) });
      return response.status === 200 ? await response.text() : undefined;
    } catch {
      return undefined;
    }
  }

  /** Resident set size in MB (VmRSS), or NaN once the process is gone. */
  rssMb(): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
    } catch {
      return NaN;
    }
  }

  cpu(): CpuReading {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      const schedstat = readFileSync(`/proc/${this.pid}/task/${this.pid}/schedstat`, 'utf8');
      return { process: ticks / CLOCK_TICKS, main: Number(schedstat.split(' ')[0]) / 1e9 };
    } catch {
      return { process: NaN, main: NaN };
    }
  }

  /** SIGTERM, as an orchestrator stops it; SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** A warning or error line's message with digits folded (`re-created N revocation job(s)`). */
function complaintOf(line: string): string | undefined {
  let entry: { level?: unknown; msg?: unknown; err?: { message?: unknown } };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    // A stack trace or an error's fields printed by Node: its first line was counted already.
    return /^\s|^[{}]/.test(line) || !line.trim() ? undefined : `(not JSON) ${line.slice(0, 100)}`;
  }
  if (typeof entry.level !== 'number' || entry.level < 40) return undefined;
  const message =
    typeof entry.msg === 'string' && entry.msg
      ? entry.msg
      : typeof entry.err?.message === 'string'
        ? entry.err.message
        : '?';
  return message.replace(/\d+/g, 'N').slice(0, 120);
}
