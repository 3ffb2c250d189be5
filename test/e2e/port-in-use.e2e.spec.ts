import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOnce, freePort } from '../support/processes.js';

/** A second `npm start` on a busy port: it says so at once, before touching its database. */
describe('the broker on a port already in use', () => {
  let dir: string;
  let holder: Server;
  let port: number;

  beforeAll(async () => {
    buildOnce();
    dir = mkdtempSync(join(tmpdir(), 'countersign-port-'));
    port = await freePort();
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => holder.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 naming the port and PORT, without creating its database', async () => {
    const database = join(dir, 'countersign.sqlite');
    const child = spawn(process.execPath, ['dist/apps/broker/src/main.js'], {
      env: { PATH: process.env.PATH, PORT: String(port), DATABASE_URL: `sqlite:${database}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    expect(code).toBe(1);
    expect(output).toContain(`port ${port} is in use: set PORT to a free one`);
    expect(existsSync(database)).toBe(false);
  });
});
