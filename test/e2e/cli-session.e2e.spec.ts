// The `countersign` CLI's session against a broker: `login` (a token given, piped, or from an
// OIDC device flow), `whoami` and `logout` on the stored login, and the built bin run as a
// process (its shebang, its exit codes).

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { ExitCode } from '../../apps/cli/src/exit-codes.js';
import type { TestBroker } from '../support/broker.js';
import type { BuiltCli, CliBroker, JsonDoc } from '../support/cli.js';
import { buildCli, startCliBroker } from '../support/cli.js';
import { FakeDeviceIdp } from '../support/fake-device-idp.js';
import { as, createRequest } from '../support/flow.js';
import type { TestIssuer } from '../support/test-issuer.js';

const exec = promisify(execFile);

import.meta.jest.setTimeout(30_000);

// Built once for both databases, into a directory of its own.
let built: BuiltCli;
beforeAll(async () => {
  built = await buildCli('cli-session');
}, 60_000);
afterAll(async () => {
  await built.remove();
});

describe.each(['sqlite', 'postgres'] as const)(
  'countersign CLI against the broker on %s',
  (kind) => {
    let session: CliBroker;
    let issuer: TestIssuer;
    let broker: TestBroker;
    let url: string;
    let configHome: string;
    let cli: CliBroker['cli'];
    let pendingFor: CliBroker['pendingFor'];

    beforeAll(async () => {
      session = await startCliBroker(kind);
      ({ issuer, broker, url, configHome, cli, pendingFor } = session);
    });

    afterAll(async () => {
      await session.close();
    });

    describe('login', () => {
      it('--token stores the token in a 0600 file under a 0700 directory, keyed by URL', async () => {
        const home = await mkdtemp(join(tmpdir(), 'countersign-login-'));
        try {
          const env = { XDG_CONFIG_HOME: home };
          const token = await broker.token('alice');
          const result = await cli(['login', '--token', token], { env });
          expect(result.code).toBe(0);
          expect(result.stdout).toMatch(/^signed in to http:\/\/127\.0\.0\.1:\d+ as alice until /);
          expect(result.stdout + result.stderr).not.toContain(token);
          const file = join(home, 'countersign', 'credentials.json');
          expect((await stat(file)).mode & 0o777).toBe(0o600);
          expect((await stat(join(home, 'countersign'))).mode & 0o777).toBe(0o700);
          const stored = JSON.parse(await readFile(file, 'utf8'));
          expect(stored.brokers[url]).toMatchObject({ token, method: 'token' });

          // The stored login is used when COUNTERSIGN_TOKEN is absent.
          const who = await cli(['whoami', '--json'], { env });
          expect(who.json()).toMatchObject({ source: 'store', subject: 'alice', accepted: true });

          const out = await cli(['logout', '--json'], { env });
          expect(out.json()).toEqual({ url, removed: true });
          expect((await cli(['ls'], { env })).code).toBe(ExitCode.unauthenticated);
        } finally {
          await rm(home, { recursive: true, force: true });
        }
      });

      it('reads a piped token, and stores nothing the broker refuses', async () => {
        const home = await mkdtemp(join(tmpdir(), 'countersign-login-'));
        try {
          const env = { XDG_CONFIG_HOME: home };
          const piped = await cli(['login', '--json'], {
            env,
            stdin: `${await broker.token('bob')}\n`,
          });
          expect(piped.json()).toMatchObject({ url, method: 'token', subject: 'bob' });
          const stray = await issuer.token('mallory', { unknownKey: true });
          const refused = await cli(['login', '--token', stray], { env });
          expect(refused.code).toBe(ExitCode.unauthenticated);
          expect(refused.stderr).toContain('refused this token; nothing was stored');
          const stored = JSON.parse(
            await readFile(join(home, 'countersign', 'credentials.json'), 'utf8'),
          );
          expect(decodeJwt(stored.brokers[url].token).sub).toBe('bob');
        } finally {
          await rm(home, { recursive: true, force: true });
        }
      });

      it('--demo explains that this broker does not run the demo config', async () => {
        const result = await cli(['login', '--demo', 'alice']);
        expect(result.code).toBe(ExitCode.notFound);
        expect(result.stderr).toContain('no demo user "alice"');
      });

      it('--issuer runs the OIDC device flow and stores the token it yields', async () => {
        const idp = await FakeDeviceIdp.start(() => broker.token('alice'));
        const home = await mkdtemp(join(tmpdir(), 'countersign-login-'));
        try {
          const env = { XDG_CONFIG_HOME: home };
          const args = ['login', '--issuer', idp.url, '--client-id', 'countersign-cli'];
          const result = await cli(args, { env });
          expect(result.code).toBe(0);
          expect(result.stderr).toBe(
            `To sign in, open ${idp.url}/activate?user_code=WDJB-MJHT\n` +
              'and check that it shows the code WDJB-MJHT\n',
          );
          expect(result.stdout).toMatch(/^signed in to .+ as alice until /);
          expect(idp.polls).toBe(2); // authorization_pending once, then the token
          expect(idp.clientIds).toEqual(['countersign-cli']);
          expect((await cli(['whoami', '--json'], { env })).json()).toMatchObject({
            source: 'store',
            subject: 'alice',
          });

          const noDevice = await cli(
            ['login', '--issuer', `${idp.url}/plain`, '--client-id', 'x'],
            { env },
          );
          expect(noDevice.code).toBe(ExitCode.usage);
          expect(noDevice.stderr).toContain('does not offer the device flow');
        } finally {
          await idp.close();
          await rm(home, { recursive: true, force: true });
        }
      });
    });

    describe('the built bin', () => {
      const spawn = async (args: string[], env: Record<string, string>) => {
        try {
          const { stdout, stderr } = await exec('node', [built.bin, ...args], {
            env: {
              PATH: process.env.PATH!,
              XDG_CONFIG_HOME: configHome,
              COUNTERSIGN_URL: url,
              ...env,
            },
          });
          return { code: 0, stdout, stderr };
        } catch (error) {
          const failed = error as { code: number; stdout: string; stderr: string };
          return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
        }
      };

      it('keeps its shebang and answers ls --json with exit 0', async () => {
        expect((await readFile(built.bin, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
        const id = (await createRequest(broker, 'alice')).id;
        const result = await spawn(['ls', '--json'], {
          COUNTERSIGN_TOKEN: await broker.token('alice'),
        });
        expect(result.code).toBe(0);
        expect((JSON.parse(result.stdout) as JsonDoc).items.map((item) => item.id)).toContain(id);
      });

      it('exits with the documented codes: usage, refused, denied while waiting', async () => {
        const alice = { COUNTERSIGN_TOKEN: await broker.token('alice') };
        expect((await spawn(['ls', '--nope'], alice)).code).toBe(ExitCode.usage);
        const id = (await createRequest(broker, 'alice')).id;
        const own = await spawn(['approve', id], alice);
        expect(own.code).toBe(ExitCode.refused);
        expect(own.stderr).toContain('[self_approval]');

        const waiting = spawn(['request', 'quick', '--wait', '--interval', '1s', '--json'], {
          COUNTERSIGN_TOKEN: await broker.token('waiter', ['engineering']),
        });
        const pending = await pendingFor('waiter');
        await (await as(broker, 'bob')).post(`/v1/requests/${pending}/deny`, { reason: 'no' });
        const denied = await waiting;
        expect(denied.code).toBe(ExitCode.denied);
        expect(JSON.parse(denied.stdout)).toMatchObject({ id: pending, status: 'denied' });
      });
    });
  },
);
