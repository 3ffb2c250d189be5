import type { ChildProcess } from 'node:child_process';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './processes.js';

/**
 * A real OpenSSH server (Debian's openssh-server) in a temp dir of its own, on a free port of
 * 127.0.0.1, trusting the CA keys given and the KRL the test writes (docs/providers.md "SSH
 * certificates"): the current user may log in as any of `principals`, by certificate only.
 */
export class TestSshd {
  readonly user = userInfo().username;
  private log = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString('utf8')));
  }

  static async start(caPublicKeys: string, krl: Buffer, principals: string[]): Promise<TestSshd> {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-sshd-'));
    const port = await freePort();
    const user = userInfo().username;
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    writeFileSync(join(dir, 'ca.pub'), caPublicKeys);
    writeFileSync(join(dir, 'revoked.krl'), krl);
    mkdirSync(join(dir, 'principals'));
    writeFileSync(join(dir, 'principals', user), principals.map((p) => `${p}\n`).join(''));
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `TrustedUserCAKeys ${join(dir, 'ca.pub')}`,
        `AuthorizedPrincipalsFile ${join(dir, 'principals', '%u')}`,
        `RevokedKeys ${join(dir, 'revoked.krl')}`,
        'AuthorizedKeysFile none',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        // Tests run as root: certificates only, never a password.
        'PermitRootLogin prohibit-password',
        // The temp dir is not root-owned 0755 all the way up.
        'StrictModes no',
        'UsePAM no',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    // Privilege separation needs its empty directory.
    mkdirSync('/run/sshd', { recursive: true });
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const sshd = new TestSshd(dir, port, child);
    await sshd.listening();
    return sshd;
  }

  /** Replaces the trusted CA keys; sshd reads them at every authentication. */
  writeCaKeys(caPublicKeys: string): void {
    writeFileSync(join(this.dir, 'ca.pub'), caPublicKeys);
  }

  /** Replaces the KRL; sshd reads it at every authentication. */
  writeKrl(krl: Buffer): void {
    writeFileSync(join(this.dir, 'revoked.krl'), krl);
  }

  /** sshd's log so far (its refusals name the reason). */
  output(): string {
    return this.log;
  }

  /**
   * Logs in with the real `ssh` client as the current user, with `key` and its certificate
   * (`<key>-cert.pub`), running `echo ok`: the exit code and what it printed.
   */
  login(key: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const args = [
      '-F',
      '/dev/null',
      '-p',
      String(this.port),
      '-i',
      key,
      '-o',
      `CertificateFile=${key}-cert.pub`,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'IdentityAgent=none',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'ConnectTimeout=5',
      `${this.user}@127.0.0.1`,
      'echo ok',
    ];
    return new Promise((resolve) => {
      execFile('ssh', args, { timeout: 15_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async listening(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`sshd exited: ${this.log}`);
      const open = await new Promise<boolean>((resolve) => {
        const socket = connect(this.port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (open) return;
      await sleep(50);
    }
    throw new Error(`sshd did not listen: ${this.log}`);
  }
}

/** A fresh key pair made by ssh-keygen in `dir`: the private key's path (`.pub` beside it). */
export function newKeyPair(dir: string, name: string, type = 'ed25519', bits?: number): string {
  const path = join(dir, name);
  const size = bits === undefined ? [] : ['-b', String(bits)];
  execFileSync('ssh-keygen', ['-q', '-t', type, ...size, '-N', '', '-C', name, '-f', path]);
  return path;
}
