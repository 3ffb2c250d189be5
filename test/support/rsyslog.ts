import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real rsyslogd receiving RFC 6587 TCP syslog on a free port of 127.0.0.1 and writing each
 * message as it arrived (rsyslog's `rawmsg`: the RFC 5424 message, framing removed) to a file of
 * its own, one per line. Nothing is installed at run time: without /usr/sbin/rsyslogd this fails
 * (`apt-get install -y rsyslog`; .ci/run installs it).
 */
export const RSYSLOGD = '/usr/sbin/rsyslogd';

export interface TestRsyslog {
  port: number;
  /** The messages received so far, in order. */
  messages(): string[];
  stop(): Promise<void>;
}

export async function startRsyslog(): Promise<TestRsyslog> {
  if (!existsSync(RSYSLOGD)) {
    throw new Error(`${RSYSLOGD} is missing: apt-get install -y rsyslog (as .ci/run does)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'countersign-rsyslog-'));
  const output = join(dir, 'received.log');
  const port = await freePort();
  writeFileSync(
    join(dir, 'rsyslog.conf'),
    `global(workDirectory="${dir}" maxMessageSize="1m")
module(load="imtcp")
template(name="raw" type="string" string="%rawmsg%\\n")
ruleset(name="audit") {
  action(type="omfile" file="${output}" template="raw")
}
input(type="imtcp" port="${port}" address="127.0.0.1" ruleset="audit")
`,
  );
  // -n: no fork, so this process owns it; its own pid file, not the system's.
  const daemon: ChildProcess = spawn(
    RSYSLOGD,
    ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  try {
    await listening(port, exited);
  } catch (error) {
    daemon.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    messages: () =>
      existsSync(output) ? readFileSync(output, 'utf8').split('\n').filter(Boolean) : [],
    stop: async () => {
      if (daemon.exitCode === null) daemon.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Resolves once the port accepts connections; rejects if rsyslogd exits or takes over 10 s. */
async function listening(port: number, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (gone) throw new Error('rsyslogd exited at start-up: is its configuration valid?');
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`rsyslogd does not listen on port ${port}`);
}
