import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { run } from '../../apps/cli/src/run.js';
import { ExitCode } from '../../apps/cli/src/exit-codes.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

const exec = promisify(execFile);

import.meta.jest.setTimeout(30_000);
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

class Capture {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** A JSON answer as the tests read it: fields to match, and `items` for lists. */
interface JsonDoc {
  [field: string]: unknown;
  items: { id: string; type: string }[];
}

/** A role that allows break-glass, for `roles` to show. */
const BREAK_GLASS_ROLE = `
    - name: emergency
      resource: https://ops.example.com
      actions: [ops:all]
      maxDuration: 30m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      approvalsRequired: 2
      breakGlass: { maxDuration: 10m, reviewWithin: 1h, notify: { slack: false } }
`;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: () => JsonDoc;
}

describe.each(['sqlite', 'postgres'] as const)(
  'countersign CLI against the broker on %s',
  (kind) => {
    let issuer: TestIssuer;
    let broker: TestBroker;
    let url: string;
    let configHome: string;

    beforeAll(async () => {
      issuer = await TestIssuer.start();
      broker = await startBroker({ kind, issuer, yaml: testConfigYaml(issuer, BREAK_GLASS_ROLE) });
      await broker.app.listen(0, '127.0.0.1');
      const { port } = (broker.app.getHttpServer() as Server).address() as AddressInfo;
      url = `http://127.0.0.1:${port}`;
      configHome = await mkdtemp(join(tmpdir(), 'countersign-cli-'));
    });

    afterAll(async () => {
      await broker.close();
      await issuer.close();
      await rm(configHome, { recursive: true, force: true });
    });

    /** Runs the CLI in-process as `user` (COUNTERSIGN_TOKEN), or with the stored login when none. */
    async function cli(
      args: string[],
      options: { as?: string; env?: Record<string, string>; stdin?: string } = {},
    ): Promise<CliResult> {
      const stdout = new Capture();
      const stderr = new Capture();
      const env: Record<string, string> = {
        XDG_CONFIG_HOME: configHome,
        COUNTERSIGN_URL: url,
        ...(options.as ? { COUNTERSIGN_TOKEN: await broker.token(options.as) } : {}),
        ...options.env,
      };
      const stdin =
        options.stdin === undefined
          ? undefined
          : Object.assign(Readable.from([Buffer.from(options.stdin)]), { isTTY: false });
      const code = await run(args, { stdout, stderr, env, stdin });
      return {
        code,
        stdout: stdout.text,
        stderr: stderr.text,
        json: () => JSON.parse(stdout.text) as JsonDoc,
      };
    }

    const pendingFor = (requester: string) =>
      eventually(async () => {
        const page = await (
          await as(broker, 'bob')
        ).get('/v1/requests?status=pending&toApprove=true');
        const items = page.body.items as { id: string; requester: string }[];
        return items.find((item) => item.requester === `corp:${requester}`)?.id;
      }, 10_000);

    describe('request --wait', () => {
      it('returns 0 when the request is approved elsewhere, showing progress on stderr', async () => {
        const waiting = cli(
          [
            'request',
            'prod-db-admin',
            '--for',
            '30m',
            '--reason',
            'INC-7',
            '--wait',
            '--interval',
            '1s',
          ],
          { as: 'alice' },
        );
        const id = await pendingFor('alice');
        await (
          await as(broker, 'bob')
        )
          .post(`/v1/requests/${id}/approve`, { comment: 'go' })
          .expect(200);
        const result = await waiting;
        expect(result.code).toBe(ExitCode.ok);
        expect(result.stderr).toContain(`request ${id} pending: 0/1 approvals`);
        expect(result.stderr).toContain(
          `request ${id} approved (corp:bob)\nnext: \`countersign creds ${id}\` (as corp:alice)\n`,
        );
        expect(result.stdout).toMatch(new RegExp(`^id +${id}$`, 'm'));
        expect(result.stdout).toMatch(/^status +approved$/m);
      });

      it('returns the denied code, with the request as JSON', async () => {
        const waiting = cli(
          ['request', 'prod-db-admin', '--reason', 'INC-8', '--wait', '--interval', '1s', '--json'],
          { as: 'alice' },
        );
        const id = await pendingFor('alice');
        await (
          await as(broker, 'bob')
        )
          .post(`/v1/requests/${id}/deny`, { reason: 'not now' })
          .expect(200);
        const result = await waiting;
        expect(result.code).toBe(ExitCode.denied);
        expect(result.json()).toMatchObject({ id, status: 'denied', requester: 'corp:alice' });
        expect(result.stderr).toBe('');
      });

      it('wait <id> follows a request filed earlier, and tells a cancellation apart', async () => {
        const id = (await createRequest(broker, 'alice')).id;
        const waiting = cli(['wait', id, '--interval', '1s'], { as: 'alice' });
        await new Promise((resolve) => setTimeout(resolve, 300));
        await (await as(broker, 'alice')).post(`/v1/requests/${id}/cancel`).expect(200);
        const result = await waiting;
        expect(result.code).toBe(ExitCode.cancelled);
        expect(result.stderr).toBe(
          `request ${id} pending: 0/1 approvals\nrequest ${id} cancelled\n`,
        );
        expect(result.stdout).toMatch(/^status +cancelled$/m);
      });

      it('gives up with its own code when --timeout runs out while pending', async () => {
        const result = await cli(
          ['request', 'quick', '--wait', '--timeout', '1s', '--interval', '1s'],
          { as: 'alice' },
        );
        expect(result.code).toBe(ExitCode.stillPending);
        expect(result.stderr).toMatch(
          /still pending after 1s\n {2}check later with `countersign show /,
        );
      });
    });

    it('answers every command with one parseable JSON document', async () => {
      const created = await cli(
        ['request', 'prod-db-admin', '--for', '20m', '--reason', 'INC-9', '--json'],
        { as: 'alice' },
      );
      expect(created.code).toBe(0);
      const request = created.json();
      expect(request).toMatchObject({
        role: 'prod-db-admin',
        status: 'pending',
        duration: 1200,
        justification: 'INC-9',
        approvalsRequired: 1,
        approvals: [],
      });
      const id = request.id as string;

      const shown = await cli(['show', id, '--json'], { as: 'alice' });
      expect(shown.json()).toMatchObject({ id, status: 'pending' });
      const mine = await cli(['ls', '--mine', '--status', 'pending', '--json'], { as: 'alice' });
      expect(mine.json().items.map((item) => item.id)).toContain(id);
      const toApprove = await cli(['ls', '--to-approve', '--role', 'prod-db-admin', '--json'], {
        as: 'bob',
      });
      expect(toApprove.json().items.map((item) => item.id)).toContain(id);

      const approved = await cli(['approve', id, '--comment', 'ok', '--json'], { as: 'bob' });
      expect(approved.json()).toMatchObject({
        id,
        status: 'approved',
        approvals: [{ approver: 'corp:bob', comment: 'ok' }],
      });

      const minted = await cli(['creds', id, '--json'], { as: 'alice' });
      expect(minted.code).toBe(0);
      expect(minted.stderr).toBe('');
      const { grantId, expiresAt, credential } = minted.json() as unknown as {
        grantId: string;
        expiresAt: string;
        credential: { type: string; token: string };
      };
      expect(credential.type).toBe('jwt');
      expect(decodeJwt(credential.token).jti).toBe(grantId);
      expect(typeof expiresAt).toBe('string');

      const grants = await cli(['grants', '--status', 'active', '--json'], { as: 'alice' });
      expect(grants.json().items).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: grantId, status: 'active' })]),
      );
      const grant = await cli(['grant', grantId, '--json'], { as: 'alice' });
      expect(grant.json()).toMatchObject({ id: grantId, requestId: id, recipient: 'corp:alice' });
      const revoked = await cli(['revoke', grantId, '--reason', 'done', '--json'], { as: 'alice' });
      expect(revoked.json()).toMatchObject({
        id: grantId,
        status: 'revoked',
        revokedReason: 'done',
      });

      const verified = await cli(['audit', 'verify', '--json'], { as: 'dave' });
      expect(verified.code).toBe(0);
      expect(verified.json()).toMatchObject({ ok: true, events: expect.any(Number) });
      const trail = await cli(['audit', 'ls', '--request', id, '--since', '1h', '--json'], {
        as: 'dave',
      });
      const types = trail.json().items.map((event) => event.type);
      expect(types).toEqual(
        expect.arrayContaining([
          'request.created',
          'approval.recorded',
          'credential.issued',
          'grant.revoked',
        ]),
      );

      const other = (await createRequest(broker, 'alice')).id;
      const cancelled = await cli(['cancel', other, '--json'], { as: 'alice' });
      expect(cancelled.json()).toMatchObject({ id: other, status: 'cancelled' });
      const third = (await createRequest(broker, 'alice')).id;
      const denied = await cli(['deny', third, '--reason', 'no', '--json'], { as: 'bob' });
      expect(denied.json()).toMatchObject({ id: third, status: 'denied' });

      const who = await cli(['whoami', '--json'], { as: 'alice' });
      expect(who.json()).toMatchObject({
        url,
        source: 'env',
        accepted: true,
        subject: 'alice',
        issuer: issuer.url,
        groups: ['engineering'],
      });
    });

    it('prints tables for people', async () => {
      const id = (await createRequest(broker, 'alice')).id;
      const listed = await cli(['ls', '--mine', '--status', 'pending'], { as: 'alice' });
      expect(listed.code).toBe(0);
      const [header, ...rows] = listed.stdout.trimEnd().split('\n');
      expect(header).toMatch(/^ID +ROLE +STATUS +REQUESTER +RECIPIENT +FOR +APPROVALS +CREATED$/);
      expect(rows.find((row) => row.startsWith(id))).toMatch(
        /prod-db-admin +pending +corp:alice +corp:alice +15m +0\/1 +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      );
      expect(listed.stdout).not.toContain('\u001b[');
    });

    describe('creds', () => {
      const approved = async () => {
        const id = (await createRequest(broker, 'alice')).id;
        await (await as(broker, 'bob')).post(`/v1/requests/${id}/approve`).expect(200);
        return id;
      };

      it('prints the JWT alone on stdout, the grant on stderr', async () => {
        const result = await cli(['creds', await approved()], { as: 'alice' });
        expect(result.code).toBe(0);
        const token = result.stdout.trim();
        expect(result.stdout).toBe(`${token}\n`);
        expect(decodeJwt(token)).toMatchObject({ sub: 'corp:alice', role: 'prod-db-admin' });
        expect(result.stderr).toMatch(/^grant [0-9a-f-]{36}, expires .+Z \(in 1[45]m\d*s?\)\n$/);
      });

      it('--env prints the shell export line', async () => {
        const result = await cli(['creds', await approved(), '--env'], { as: 'alice' });
        expect(result.code).toBe(0);
        const match = /^export COUNTERSIGN_CREDENTIAL='([\w.-]+)'\n$/.exec(result.stdout);
        expect(match).not.toBeNull();
        expect(decodeJwt(match![1]).sub).toBe('corp:alice');
      });

      it('a second mint is a conflict that says the credential is shown once', async () => {
        const id = await approved();
        expect((await cli(['creds', id], { as: 'alice' })).code).toBe(0);
        const again = await cli(['creds', id], { as: 'alice' });
        expect(again.code).toBe(ExitCode.conflict);
        expect(again.stdout).toBe('');
        expect(again.stderr).toContain('a credential is minted once');
      });
    });

    describe('refusals and bad input', () => {
      it('shows the separation-of-duties refusal of an ineligible approver', async () => {
        const id = (await createRequest(broker, 'alice')).id;
        const own = await cli(['approve', id], { as: 'alice' });
        expect(own.code).toBe(ExitCode.refused);
        expect(own.stderr).toBe(
          'countersign: the requester cannot approve its own request [self_approval]\n' +
            '  a different eligible approver must approve it\n',
        );
        const asJson = await cli(['approve', id, '--json'], { as: 'alice' });
        expect(JSON.parse(asJson.stderr)).toMatchObject({
          error: 'separation_of_duties',
          reason: 'self_approval',
          exitCode: ExitCode.refused,
        });
        expect(asJson.stdout).toBe('');
      });

      it("says that an admin's lone approval still needs a non-admin one", async () => {
        const id = (await createRequest(broker, 'alice')).id;
        const result = await cli(['approve', id], { as: 'dave' });
        expect(result.code).toBe(ExitCode.ok);
        expect(result.stdout).toBe(
          `request ${id} pending: 1/1 approvals (last by corp:dave); an admin's approval needs a further non-admin approval\n`,
        );
      });

      it('refuses an unknown role as a role one may not request, pointing to `roles` (exit 4)', async () => {
        const result = await cli(['request', 'no-such-role', '--reason', 'x'], { as: 'alice' });
        expect(result.code).toBe(ExitCode.refused);
        expect(result.stderr).toContain('GET /v1/roles lists the roles you may request');
      });

      it('rejects a malformed duration before calling, and one over the maximum after', async () => {
        const malformed = await cli(['request', 'prod-db-admin', '--for', '10x'], { as: 'alice' });
        expect(malformed.code).toBe(ExitCode.usage);
        expect(malformed.stderr).toContain('expected a duration such as 30m, 1h, 90s or PT15M');
        const tooLong = await cli(['request', 'prod-db-admin', '--for', '2h', '--reason', 'x'], {
          as: 'alice',
        });
        expect(tooLong.code).toBe(ExitCode.usage);
        expect(tooLong.stderr).toMatch(/duration/);
      });

      it('rejects unknown options and missing arguments (exit 2)', async () => {
        const unknown = await cli(['ls', '--colour'], { as: 'alice' });
        expect(unknown.code).toBe(ExitCode.usage);
        expect(unknown.stderr).toContain("unknown option '--colour'");
        const missing = await cli(['show'], { as: 'alice' });
        expect(missing.code).toBe(ExitCode.usage);
        expect(missing.stderr).toContain("missing required argument 'id'");
        const noReason = await cli(['deny', '0192e1d4-1111-4111-8111-111111111111', '--json'], {
          as: 'bob',
        });
        expect(noReason.code).toBe(ExitCode.usage);
        expect(JSON.parse(noReason.stderr)).toMatchObject({ error: 'usage' });
        const badCommand = await cli(['aprove'], { as: 'bob' });
        expect(badCommand.code).toBe(ExitCode.usage);
        expect(badCommand.stderr).toContain('Did you mean approve?');
      });

      it('tells a malformed id (exit 2) from one that names nothing visible (exit 5)', async () => {
        const malformed = await cli(['show', 'abc'], { as: 'alice' });
        expect(malformed.code).toBe(ExitCode.usage);
        expect(malformed.stderr).toContain('ids are UUIDs');
        const unknown = await cli(['show', '0192e1d4-1111-4111-8111-111111111111'], {
          as: 'alice',
        });
        expect(unknown.code).toBe(ExitCode.notFound);
        expect(unknown.stderr).toContain('`countersign ls`');
        const hidden = (await createRequest(broker, 'alice')).id;
        expect((await cli(['show', hidden], { as: 'mallory' })).code).toBe(ExitCode.notFound);
      });

      it('says how to sign in, and never prints a refused token', async () => {
        const none = await cli(['ls']);
        expect(none.code).toBe(ExitCode.unauthenticated);
        expect(none.stderr).toContain('run `countersign login` or set COUNTERSIGN_TOKEN');
        const stray = await issuer.token('alice', { unknownKey: true });
        const refused = await cli(['ls'], { env: { COUNTERSIGN_TOKEN: stray } });
        expect(refused.code).toBe(ExitCode.unauthenticated);
        expect(refused.stderr).toContain('COUNTERSIGN_TOKEN is expired or not from an issuer');
        expect(refused.stderr + refused.stdout).not.toContain(stray.split('.')[2]);
      });

      it('names the URL it could not reach (exit 7)', async () => {
        const closed = createServer();
        await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
        const { port } = closed.address() as AddressInfo;
        await new Promise<void>((resolve) => closed.close(() => resolve()));
        const nowhere = `http://127.0.0.1:${port}`;
        const result = await cli(['ls', '--url', nowhere], { as: 'alice' });
        expect(result.code).toBe(ExitCode.unavailable);
        expect(result.stderr).toContain(`cannot reach the broker at ${nowhere} (ECONNREFUSED)`);
        expect(result.stderr).toContain('--url or COUNTERSIGN_URL');
      });
    });

    describe('roles', () => {
      it('lists the roles the caller may request, as a table and as JSON', async () => {
        const table = await cli(['roles'], { as: 'alice' });
        expect(table.code).toBe(0);
        expect(table.stderr).toBe('');
        expect(table.stdout.trimEnd().split('\n')).toEqual([
          expect.stringMatching(/^NAME +RESOURCE +ACTIONS +MAX +APPROVALS +BREAK-GLASS$/),
          expect.stringMatching(
            /^prod-db-admin +postgres:\/\/prod\/payments +db:read,db:write +1h +1 +no$/,
          ),
          expect.stringMatching(
            /^two-person +https:\/\/deploy\.example\.com +deploy:create +30m +2 +no$/,
          ),
          expect.stringMatching(/^quick +https:\/\/quick\.example\.com +run +10m +1 +no$/),
          expect.stringMatching(/^emergency +https:\/\/ops\.example\.com +ops:all +30m +2 +yes$/),
        ]);
        const json = await cli(['roles', '--json'], { as: 'alice' });
        expect(json.json().items).toContainEqual({
          name: 'emergency',
          resource: 'https://ops.example.com',
          actions: ['ops:all'],
          maxDuration: 1800,
          defaultDuration: 900,
          approvalsRequired: 2,
          requireJustification: false,
          provider: 'jwt',
          requestable: true,
          breakGlass: { maxDuration: 600, reviewWithin: 3600 },
        });
      });

      it('shows an outsider none, and an admin all, saying which are not its own', async () => {
        const none = await cli(['roles'], { as: 'mallory' });
        expect([none.code, none.stdout]).toEqual([0, 'no roles you may request\n']);
        expect((await cli(['roles', '--json'], { as: 'mallory' })).json()).toEqual({ items: [] });
        const admin = await cli(['roles'], { as: 'dave' });
        expect(admin.code).toBe(0);
        expect(admin.stdout.trimEnd().split('\n')).toHaveLength(5);
        expect(admin.stderr).toBe(
          'shown because you are an admin, but not yours to request: prod-db-admin, two-person, quick, emergency\n',
        );
      });
    });

    describe('keys rotate', () => {
      it('lets an admin rotate the signing key, and refuses anyone else (exit 4)', async () => {
        const refused = await cli(['keys', 'rotate'], { as: 'alice' });
        expect(refused.code).toBe(ExitCode.refused);
        expect(refused.stderr).toBe(
          'countersign: only admins can rotate signing keys [not_admin]\n',
        );
        const jwks = async () =>
          (
            (await broker.http.get('/.well-known/jwks.json').expect(200)).body as {
              keys: { kid: string }[];
            }
          ).keys.map((key) => key.kid);
        const before = await jwks();

        const rotated = await cli(['keys', 'rotate', '--json'], { as: 'dave' });
        expect(rotated.code).toBe(0);
        const body = rotated.json() as unknown as { kid: string; retired: string[] };
        expect(rotated.json()).toEqual({ kid: body.kid, retired: before, publishedFor: 3600 });
        expect((await jwks()).sort()).toEqual([...before, body.kid].sort());

        const again = await cli(['keys', 'rotate'], { as: 'dave' });
        expect(again.code).toBe(0);
        expect(again.stdout).toMatch(
          new RegExp(`^new signing key \\S+\nretired ${body.kid}: kept in JWKS for 1h\n$`),
        );
      });
    });

    describe('evidence', () => {
      let dir: string;
      let id: string;

      beforeAll(async () => {
        dir = await mkdtemp(join(tmpdir(), 'countersign-evidence-'));
        id = (await createRequest(broker, 'alice')).id;
        await (await as(broker, 'bob')).post(`/v1/requests/${id}/approve`).expect(200);
        await (await as(broker, 'alice')).post(`/v1/requests/${id}/credentials`).expect(201);
      });

      afterAll(async () => {
        await rm(dir, { recursive: true, force: true });
      });

      it('saves the bundle byte for byte, and verifies it against the broker keys (exit 0)', async () => {
        const file = join(dir, 'saved.json');
        const saved = await cli(['evidence', id, '-o', file], { as: 'alice' });
        expect(saved.code).toBe(0);
        const bytes = await readFile(file);
        expect(saved.stdout).toMatch(
          new RegExp(
            `^evidence of request ${id} written to .+ \\(${bytes.length} bytes, sha256 [0-9a-f]{64}\\)\n$`,
          ),
        );
        expect(saved.stderr).toBe(`check it with \`countersign evidence verify ${file}\`\n`);

        const verified = await cli(['evidence', 'verify', file]);
        expect(verified.code).toBe(ExitCode.ok);
        expect(verified.stdout).toContain('ok   seal\n');
        expect(verified.stdout).toContain('ok   approval[0] corp:bob\n');
        expect(verified.stdout).toMatch(
          /\nevidence verified \(keys from http:\/\/127\.0\.0\.1:\d+\/\.well-known\/countersign-evidence-keys\.json\)\n$/,
        );
        const asJson = await cli(['evidence', 'verify', file, '--json']);
        expect(asJson.json()).toMatchObject({
          ok: true,
          jwks: `${url}/.well-known/countersign-evidence-keys.json`,
        });
      });

      it('prints the exact bytes on stdout, even under --json, and reads them back from stdin', async () => {
        const printed = await cli(['evidence', id, '--json'], { as: 'alice' });
        expect(printed.code).toBe(0);
        expect(printed.stdout.endsWith('}')).toBe(true);
        expect(JSON.parse(printed.stdout)).toHaveProperty('seal');
        const jwksFile = join(dir, 'jwks.json');
        const jwks = await broker.http.get('/.well-known/jwks.json').expect(200);
        await writeFile(jwksFile, jwks.text);
        const fromStdin = await cli(['evidence', 'verify', '-', '--jwks', jwksFile], {
          stdin: printed.stdout,
        });
        expect(fromStdin.code).toBe(ExitCode.ok);
        expect(fromStdin.stdout).toContain(`evidence verified (keys from ${jwksFile})`);
      });

      it('fails an altered byte, or other keys, with its own exit code (15)', async () => {
        const file = join(dir, 'altered.json');
        expect((await cli(['evidence', id, '-o', file], { as: 'alice' })).code).toBe(0);
        const bytes = await readFile(file);
        const at = bytes.indexOf('corp:alice') + 'corp:alic'.length;
        bytes[at] = 'f'.charCodeAt(0); // corp:alice -> corp:alicf: still valid JSON
        await writeFile(file, bytes);
        const altered = await cli(['evidence', 'verify', file]);
        expect(altered.code).toBe(ExitCode.evidenceInvalid);
        expect(altered.stdout).toMatch(/^FAIL /m);
        expect(altered.stdout).toContain('evidence does NOT verify');
        const asJson = await cli(['evidence', 'verify', file, '--json']);
        expect(asJson.code).toBe(ExitCode.evidenceInvalid);
        expect(asJson.json()).toMatchObject({ ok: false });

        const good = join(dir, 'good.json');
        expect((await cli(['evidence', id, '-o', good], { as: 'alice' })).code).toBe(0);
        const { publicKey } = await generateKeyPair('EdDSA');
        const otherKeys = join(dir, 'other-jwks.json');
        const jwk = { ...(await exportJWK(publicKey)), kid: 'other', alg: 'EdDSA' };
        await writeFile(otherKeys, JSON.stringify({ keys: [jwk] }));
        const foreign = await cli(['evidence', 'verify', good, '--jwks', otherKeys]);
        expect(foreign.code).toBe(ExitCode.evidenceInvalid);
        expect(foreign.stdout).toMatch(/^FAIL seal/m);
      });

      it('answers 404 for a request you may not see, and a usage error for a missing file', async () => {
        expect((await cli(['evidence', id], { as: 'mallory' })).code).toBe(ExitCode.notFound);
        const missing = await cli(['evidence', 'verify', join(dir, 'nope.json')]);
        expect(missing.code).toBe(ExitCode.usage);
        expect(missing.stderr).toContain('cannot read');
        expect(missing.stderr).toContain('ENOENT');
      });
    });

    it('follows list cursors up to --limit and reports the next cursor', async () => {
      const pager = async () => broker.token('pager', ['engineering']);
      const auth = `Bearer ${await pager()}`;
      for (let start = 0; start < 203; start += 25) {
        await Promise.all(
          Array.from({ length: Math.min(25, 203 - start) }, () =>
            broker.http
              .post('/v1/requests')
              .set('authorization', auth)
              .send({ role: 'quick' })
              .expect(201),
          ),
        );
      }
      const env = { COUNTERSIGN_TOKEN: await pager() };
      const bounded = await cli(['ls', '--mine', '--limit', '202', '--json'], { env });
      expect(bounded.json().items).toHaveLength(202);
      expect(typeof bounded.json().nextCursor).toBe('string');
      const all = await cli(['ls', '--mine', '--limit', '1000', '--json'], { env });
      expect(all.json().items).toHaveLength(203);
      expect(new Set(all.json().items.map((item) => item.id)).size).toBe(203);
      expect(all.json().nextCursor).toBeUndefined();
      const human = await cli(['ls', '--mine', '--limit', '5'], { env });
      expect(human.stderr).toBe('(first 5 shown; more with --limit)\n');
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
      beforeAll(async () => {
        // Only the CLI: these commands load nothing from the server (only `evidence verify` loads
        // libs/evidence), and others may be mid-edit there.
        await exec(
          'npx',
          ['swc', 'apps/cli', '-d', 'dist', '--ignore', '**/*.spec.ts', '--quiet'],
          {
            cwd: ROOT,
          },
        );
      }, 60_000);

      const spawn = async (args: string[], env: Record<string, string>) => {
        try {
          const { stdout, stderr } = await exec('node', [BIN, ...args], {
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
        expect((await readFile(BIN, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
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

/**
 * An identity provider's device authorization endpoints (RFC 8628), as a third party the CLI
 * talks to: discovery, device authorization, and a token endpoint that answers
 * `authorization_pending` once. `/plain` is an issuer without the device flow.
 */
class FakeDeviceIdp {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly seen: { polls: number; clientIds: string[] },
  ) {}

  get polls(): number {
    return this.seen.polls;
  }

  get clientIds(): string[] {
    return this.seen.clientIds;
  }

  static async start(token: () => Promise<string>): Promise<FakeDeviceIdp> {
    const seen = { polls: 0, clientIds: [] as string[] };
    const server = createHttpServer((req, res) => {
      const base = `http://${req.headers.host}`;
      const json = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        switch (req.url ?? '') {
          case '/.well-known/openid-configuration':
            return json(200, {
              issuer: base,
              token_endpoint: `${base}/token`,
              device_authorization_endpoint: `${base}/device`,
            });
          case '/plain/.well-known/openid-configuration':
            return json(200, { issuer: `${base}/plain`, token_endpoint: `${base}/token` });
          case '/device':
            seen.clientIds.push(form.get('client_id') ?? '');
            return json(200, {
              device_code: 'device-code-1',
              user_code: 'WDJB-MJHT',
              verification_uri: `${base}/activate`,
              verification_uri_complete: `${base}/activate?user_code=WDJB-MJHT`,
              expires_in: 60,
              interval: 1,
            });
          case '/token':
            if (form.get('device_code') !== 'device-code-1') {
              return json(400, { error: 'invalid_grant' });
            }
            if (++seen.polls === 1) return json(400, { error: 'authorization_pending' });
            void token().then((accessToken) =>
              json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 }),
            );
            return;
          default:
            return json(404, { error: 'not_found' });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new FakeDeviceIdp(server, `http://127.0.0.1:${port}`, seen);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
