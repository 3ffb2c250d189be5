import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The worker as `npm run start:worker` runs it (the build; no countersign.yaml in the checkout, so
 * the demo config, on SQLite), its
 * standard output read until it says it runs, or for `forMs` when it should say nothing.
 */
async function workerOutput(logLevel: string, forMs?: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-worker-log-'));
  const child = spawn(process.execPath, ['dist/apps/worker/src/main.js'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      WORKER_PORT: String(await freePort()),
      LOG_LEVEL: logLevel,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  try {
    await new Promise<void>((resolve, reject) => {
      const done = setTimeout(
        forMs === undefined ? () => reject(new Error(out)) : resolve,
        forMs ?? 20_000,
      );
      child.stdout.on('data', () => {
        if (forMs === undefined && out.includes('health and metrics on port')) {
          clearTimeout(done);
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${out}`)));
    });
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('close', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
  return out.split('\n').filter((line) => line !== '');
}

describe('the worker logs', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', '-s', 'build'], { stdio: 'ignore' });
  });

  it('JSON lines through pino, at LOG_LEVEL, as the broker does', async () => {
    const lines = await workerOutput('info');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({
        level: expect.any(Number),
        msg: expect.any(String),
      });
    }
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContainEqual(
      expect.stringContaining('health and metrics on port'),
    );
  }, 60_000);

  it('nothing below the level asked for', async () => {
    const lines = await workerOutput('warn', 4000);
    for (const line of lines) {
      expect((JSON.parse(line) as { level: number }).level).toBeGreaterThanOrEqual(40);
    }
  }, 60_000);
});
