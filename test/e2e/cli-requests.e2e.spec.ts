// The `countersign` CLI, run in-process against a broker, for requesters and approvers: request
// and wait, the JSON answer of every command, tables, refusals and bad input, roles, list cursors.
// Credentials and evidence: cli-credentials.e2e.spec.ts; login and the built bin: cli-session.

import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { ExitCode } from '../../apps/cli/src/exit-codes.js';
import type { TestBroker } from '../support/broker.js';
import type { CliBroker } from '../support/cli.js';
import { startCliBroker } from '../support/cli.js';
import { as, createRequest } from '../support/flow.js';
import type { TestIssuer } from '../support/test-issuer.js';

import.meta.jest.setTimeout(30_000);

describe.each(['sqlite', 'postgres'] as const)(
  'countersign CLI against the broker on %s',
  (kind) => {
    let session: CliBroker;
    let issuer: TestIssuer;
    let broker: TestBroker;
    let url: string;
    let cli: CliBroker['cli'];
    let pendingFor: CliBroker['pendingFor'];

    beforeAll(async () => {
      session = await startCliBroker(kind);
      ({ issuer, broker, url, cli, pendingFor } = session);
    });

    afterAll(async () => {
      await session.close();
    });

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
          maxExtendedDuration: 3600,
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
  },
);
