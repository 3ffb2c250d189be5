import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Builds dist/ once per test file: the processes run the build, as `npm start` does. */
export function buildOnce(): void {
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'ignore' });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** Broker or worker as production starts it (`node dist/apps/<app>/src/main.js`), on a port. */
export interface RunningProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> of its HTTP server (the worker's health and metrics). */
  url: string;
  exited: Promise<Exit>;
  /** Its standard output and error so far (JSON log lines), for failure messages. */
  output(): string;
  /** Signals it, then waits for its exit; SIGKILL after `timeoutMs` so a test never hangs. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

export async function startProcess(
  app: 'broker' | 'worker',
  env: Record<string, string>,
): Promise<RunningProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [`dist/apps/${app}/src/main.js`], {
    env: {
      PATH: process.env.PATH,
      LOG_LEVEL: 'info',
      ...env,
      ...(app === 'broker' ? { PORT: String(port) } : { WORKER_PORT: String(port) }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const url = `http://127.0.0.1:${port}`;
  const running: RunningProcess = {
    child,
    url,
    exited,
    output: () => out,
    stop: async (signal = 'SIGTERM', timeoutMs = 30_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const exit = await exited;
      clearTimeout(killer);
      return exit;
    },
  };
  await untilLive(running);
  return running;
}

async function untilLive(running: RunningProcess): Promise<void> {
  let gone = false;
  void running.exited.then(() => (gone = true));
  const deadline = Date.now() + 30_000;
  while (!gone && Date.now() < deadline) {
    const live = await fetch(`${running.url}/health/live`).then(
      (response) => response.ok,
      () => false,
    );
    if (live) return;
    await sleep(100);
  }
  await running.stop('SIGKILL');
  throw new Error(`${running.url} did not come up:\n${running.output()}`);
}
