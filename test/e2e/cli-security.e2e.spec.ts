// The `countersign` CLI for what is not request-and-approve: break-glass (activate, list, review),
// service accounts, --version, and a broker's refusal printed once. Run in-process against a
// broker with the `emergency` break-glass role (test/support/cli.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { ExitCode } from '../../apps/cli/src/exit-codes.js';
import type { CliBroker } from '../support/cli.js';
import { startCliBroker } from '../support/cli.js';
import { createRequest } from '../support/flow.js';

import.meta.jest.setTimeout(30_000);

const VERSION = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

describe.each(['sqlite', 'postgres'] as const)('countersign CLI on %s', (kind) => {
  let session: CliBroker;
  let cli: CliBroker['cli'];

  beforeAll(async () => {
    session = await startCliBroker(kind);
    ({ cli } = session);
  });

  afterAll(async () => {
    await session.close();
  });

  describe('break-glass', () => {
    it('activates: the credential alone on stdout, the grant and the review due on stderr', async () => {
      const result = await cli(
        ['break-glass', 'activate', 'emergency', '--reason', 'INC-42 db down', '--for', '5m'],
        { as: 'alice' },
      );
      expect(result.code).toBe(ExitCode.ok);
      const token = result.stdout.trimEnd();
      expect(result.stdout).toBe(`${token}\n`);
      const claims = decodeJwt(token);
      expect(claims).toMatchObject({ role: 'emergency', sub: 'corp:alice' });
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300);
      const [grant, review] = result.stderr.trimEnd().split('\n');
      expect(grant).toMatch(
        new RegExp(`^break-glass: grant ${claims.jti as string}, expires \\S+Z \\(in [45]m`),
      );
      expect(review).toMatch(
        /^the security team has been alerted; review due \S+Z \(request [0-9a-f-]{36}\)$/,
      );
    });

    it('answers the activation as JSON, and refuses in the words of the broker', async () => {
      const json = await cli(
        ['break-glass', 'activate', 'emergency', '--reason', 'INC-43', '--json'],
        { as: 'alice' },
      );
      expect(json.code).toBe(ExitCode.ok);
      expect(json.stderr).toBe('');
      expect(json.json()).toMatchObject({
        requestId: expect.any(String),
        grantId: expect.any(String),
        credential: { type: 'jwt' },
        breakGlass: { reviewDueAt: expect.any(String) },
      });
      const notAllowed = await cli(['break-glass', 'activate', 'quick', '--reason', 'x'], {
        as: 'alice',
      });
      expect(notAllowed.code).toBe(ExitCode.refused);
      expect(notAllowed.stderr).toContain('[break_glass_not_allowed]');
      const outsider = await cli(['break-glass', 'activate', 'emergency', '--reason', 'x'], {
        as: 'mallory',
      });
      expect(outsider.code).toBe(ExitCode.refused);
      const tooLong = await cli(
        ['break-glass', 'activate', 'emergency', '--reason', 'x', '--for', '20m'],
        { as: 'alice' },
      );
      expect(tooLong.code).toBe(ExitCode.usage);
      expect(tooLong.stderr).toBe(
        "countersign: duration: exceeds the role's break-glass maxDuration of 10m\n",
      );
      const noReason = await cli(['break-glass', 'activate', 'emergency'], { as: 'alice' });
      expect(noReason.code).toBe(ExitCode.usage);
      expect(noReason.stderr).toContain("required option '--reason <text>' not specified");
    });

    it('lists activations with their review, and reviews one (also as `review`)', async () => {
      const activated = await cli(
        ['break-glass', 'activate', 'emergency', '--reason', 'INC-44', '--json'],
        { as: 'alice' },
      );
      const id = activated.json().requestId as string;

      const owed = await cli(['break-glass', 'ls', '--unreviewed', '--json'], { as: 'dave' });
      expect(owed.code).toBe(ExitCode.ok);
      const owedIds = owed.json().items.map((item) => item.id);
      expect(owedIds).toContain(id);
      expect(owed.json().items.every((item) => (item as { breakGlass?: true }).breakGlass)).toBe(
        true,
      );
      const table = await cli(['break-glass', 'ls', '--unreviewed'], { as: 'dave' });
      const [header, ...rows] = table.stdout.trimEnd().split('\n');
      expect(header).toMatch(/^ID +ROLE +ACTIVATED BY +AT +FOR +REVIEW$/);
      expect(rows.find((row) => row.startsWith(id))).toMatch(
        /emergency +corp:alice +\S+Z +10m +due in (59m|1h)/,
      );
      // Ordinary requests are not activations.
      const ordinary = await createRequest(session.broker, 'alice');
      const all = await cli(['break-glass', 'ls', '--json'], { as: 'dave' });
      const allItems = all.json().items as { id: string; breakGlass?: true }[];
      expect(allItems.map((item) => item.id)).toEqual(expect.arrayContaining(owedIds));
      expect(allItems.map((item) => item.id)).not.toContain(ordinary.id);
      expect(allItems.every((item) => item.breakGlass)).toBe(true);

      const own = await cli(['review', id], { as: 'alice' });
      expect(own.code).toBe(ExitCode.refused);
      expect(own.stderr).toMatch(/^countersign: .*\[self_approval\]\n/);

      const reviewed = await cli(['break-glass', 'review', id, '--comment', 'checked'], {
        as: 'bob',
      });
      expect(reviewed.code).toBe(ExitCode.ok);
      expect(reviewed.stdout).toMatch(/^break-glass +reviewed by corp:bob at \S+Z "checked"$/m);
      expect(reviewed.stdout).not.toMatch(/^approvals/m);
      const again = await cli(['review', id], { as: 'dave' });
      expect(again.code).toBe(ExitCode.conflict);
      expect(again.stderr).toContain('[already_reviewed]');

      const after = await cli(['break-glass', 'ls', '--unreviewed', '--json'], { as: 'dave' });
      expect(after.json().items.map((item) => item.id)).not.toContain(id);
      const shown = await cli(['break-glass', 'ls'], { as: 'dave' });
      expect(shown.stdout).toMatch(new RegExp(`^${id} .*reviewed by corp:bob`, 'm'));
    });
  });

  describe('service accounts', () => {
    it('creates, lists, shows, rotates and disables one; each key works until replaced', async () => {
      const created = await cli(
        [
          'service-accounts',
          'create',
          'deploy-bot',
          '--owner',
          'corp:alice',
          '--description',
          'deploys',
          '--group',
          'deployers',
          '--key-expires-in',
          '30d',
        ],
        { as: 'dave' },
      );
      expect(created.code).toBe(ExitCode.ok);
      const key = created.stdout.trimEnd();
      expect(created.stdout).toBe(`${key}\n`);
      expect(key).toMatch(/^cs_sa_/);
      expect(created.stderr).toMatch(
        /^service account deploy-bot \(local:deploy-bot\) created, key expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\nthe key is shown this once: keep it now\n$/,
      );
      const signedIn = await cli(['roles', '--json'], { env: { COUNTERSIGN_TOKEN: key } });
      expect(signedIn.code).toBe(ExitCode.ok);

      const listed = await cli(['sa', 'ls'], { as: 'dave' });
      expect(listed.stdout).toMatch(/^deploy-bot +corp:alice +active +cs_sa_\S+ +\S+Z +\S+/m);
      const shown = await cli(['service-accounts', 'show', 'deploy-bot', '--json'], {
        as: 'dave',
      });
      expect(shown.json()).toMatchObject({
        name: 'deploy-bot',
        owner: 'corp:alice',
        groups: ['deployers'],
        status: 'active',
      });
      expect(JSON.stringify(shown.json())).not.toContain(key);

      const rotated = await cli(['sa', 'rotate', 'deploy-bot'], { as: 'dave' });
      expect(rotated.code).toBe(ExitCode.ok);
      const newKey = rotated.stdout.trimEnd();
      expect(newKey).toMatch(/^cs_sa_/);
      expect(newKey).not.toBe(key);
      expect(rotated.stderr).toContain('deploy-bot (local:deploy-bot) has a new key');
      const oldKey = await cli(['roles'], { env: { COUNTERSIGN_TOKEN: key } });
      expect(oldKey.code).toBe(ExitCode.unauthenticated);
      expect((await cli(['roles'], { env: { COUNTERSIGN_TOKEN: newKey } })).code).toBe(0);

      const disabled = await cli(['sa', 'disable', 'deploy-bot'], { as: 'dave' });
      expect([disabled.code, disabled.stdout]).toEqual([
        0,
        'service account deploy-bot disabled\n',
      ]);
      const afterDisable = await cli(['roles'], { env: { COUNTERSIGN_TOKEN: newKey } });
      expect(afterDisable.code).toBe(ExitCode.unauthenticated);
    });

    it('shows a person the accounts it owns, refuses it the rest, and names no account could have', async () => {
      const owned = await cli(['sa', 'ls', '--json'], { as: 'alice' });
      expect(owned.json().items.map((item) => (item as { name?: string }).name)).toEqual([
        'deploy-bot',
      ]);
      const none = await cli(['sa', 'ls'], { as: 'mallory' });
      expect([none.code, none.stdout]).toEqual([0, 'no service accounts\n']);
      const notAdmin = await cli(['sa', 'rotate', 'deploy-bot'], { as: 'alice' });
      expect(notAdmin.code).toBe(ExitCode.refused);
      expect(notAdmin.stderr).toContain('[not_admin]');
      expect(notAdmin.stdout).toBe('');
      const unknown = await cli(['sa', 'show', 'no-such-bot'], { as: 'dave' });
      expect(unknown.code).toBe(ExitCode.notFound);
      const malformed = await cli(['sa', 'show', '../keys'], { as: 'dave' });
      expect(malformed.code).toBe(ExitCode.usage);
      expect(malformed.stderr).toContain('not a service account name');
      const badOwner = await cli(['sa', 'create', 'x-bot', '--owner', 'alice'], { as: 'dave' });
      expect(badOwner.code).toBe(ExitCode.usage);
      expect(badOwner.stderr).toBe('countersign: owner: must look like <issuer>:<sub>\n');
    });
  });

  it('prints its version', async () => {
    const result = await cli(['--version']);
    expect([result.code, result.stdout, result.stderr]).toEqual([0, `${VERSION}\n`, '']);
  });

  it("prints a broker's refusal once, not once more as its fields", async () => {
    const result = await cli(['request', 'prod-db-admin', '--for', '2h', '--reason', 'x'], {
      as: 'alice',
    });
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toBe("countersign: duration: exceeds the role's maxDuration of 1h\n");
    const json = await cli(['request', 'prod-db-admin', '--for', '2h', '--reason', 'x', '--json'], {
      as: 'alice',
    });
    expect(JSON.parse(json.stderr)).toMatchObject({
      error: 'invalid_request',
      fields: [{ field: 'duration', message: "exceeds the role's maxDuration of 1h" }],
    });
  });
});
