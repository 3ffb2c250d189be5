// `countersign extend`, run in-process against a broker: the request, its wait, the redemption by
// `creds` (a new token for a jwt grant), and refusals shown once, with their reason.

import { decodeJwt } from 'jose';
import { ExitCode } from '../../apps/cli/src/exit-codes.js';
import type { TestBroker } from '../support/broker.js';
import type { CliBroker } from '../support/cli.js';
import { startCliBroker } from '../support/cli.js';
import { as, createRequest } from '../support/flow.js';

import.meta.jest.setTimeout(30_000);

describe.each(['sqlite', 'postgres'] as const)('countersign extend on %s', (kind) => {
  let session: CliBroker;
  let broker: TestBroker;
  let cli: CliBroker['cli'];
  let pendingFor: CliBroker['pendingFor'];

  beforeAll(async () => {
    session = await startCliBroker(kind);
    ({ broker, cli, pendingFor } = session);
  });

  afterAll(async () => {
    await session.close();
  });

  /** A 15-minute prod-db-admin grant of alice's, approved by bob. */
  async function aliceGrant(): Promise<{ grantId: string; expiresAt: string }> {
    const request = await createRequest(broker, 'alice', {
      role: 'prod-db-admin',
      duration: '15m',
      justification: 'INC-5',
    });
    await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
    const alice = await as(broker, 'alice');
    const minted = await alice.post(`/v1/requests/${request.id}/credentials`).expect(201);
    return minted.body as { grantId: string; expiresAt: string };
  }

  it('asks, waits for the approval, and creds moves the end with a new token', async () => {
    const grant = await aliceGrant();
    const args = ['extend', grant.grantId, '--duration', '30m', '--justification', 'INC-5'];
    const waiting = cli([...args, '--wait', '--interval', '1s'], { as: 'alice' });
    const id = await pendingFor('alice');
    await (await as(broker, 'bob')).post(`/v1/requests/${id}/approve`).expect(200);
    const decided = await waiting;
    expect(decided.code).toBe(ExitCode.ok);
    expect(decided.stdout).toMatch(new RegExp(`extends\\s+${grant.grantId}`));
    expect(decided.stdout).toMatch(/duration\s+30m/);
    expect(decided.stderr).toContain(`next: \`countersign creds ${id}\``);

    const redeemed = await cli(['creds', id], { as: 'alice' });
    expect(redeemed.code).toBe(ExitCode.ok);
    const newEnd = new Date(Date.parse(grant.expiresAt) + 1800_000);
    expect(decodeJwt(redeemed.stdout.trim())).toMatchObject({
      jti: grant.grantId,
      exp: Math.floor(newEnd.getTime() / 1000),
    });
    expect(redeemed.stderr).toContain(`grant ${grant.grantId} extended from`);
  });

  it('prints the request id alone with -q, and its JSON with --json', async () => {
    const grant = await aliceGrant();
    const quiet = await cli(
      ['extend', grant.grantId, '--duration', '5m', '--justification', 'x', '-q'],
      {
        as: 'alice',
      },
    );
    expect(quiet.code).toBe(ExitCode.ok);
    const id = quiet.stdout.trim();
    const shown = await cli(['--json', 'show', id], { as: 'alice' });
    expect(shown.json()).toMatchObject({ id, extends: grant.grantId, status: 'pending' });
  });

  it('shows a refusal once, with its reason and exit code', async () => {
    const grant = await aliceGrant();
    const args = ['extend', grant.grantId, '--duration', '5m'];
    // prod-db-admin requires a justification, of an extension as of any request.
    const unjustified = await cli(args, { as: 'alice' });
    expect(unjustified.code).toBe(ExitCode.usage);
    expect(unjustified.stderr).toContain('justification: is required for this role');
    args.push('--justification', 'INC-6');
    expect((await cli(args, { as: 'alice' })).code).toBe(ExitCode.ok);
    const again = await cli(args, { as: 'alice' });
    expect(again.code).toBe(ExitCode.conflict);
    expect(again.stderr.match(/extension_pending/g)).toHaveLength(1);
    expect(again.stderr).toContain('an extension of this grant is already open');

    const stranger = await cli(['extend', grant.grantId, '--duration', '1h'], { as: 'bob' });
    expect(stranger.code).toBe(ExitCode.notFound);
    const bad = await cli(['extend', grant.grantId, '--duration', 'soon'], { as: 'alice' });
    expect(bad.code).toBe(ExitCode.usage);
  });
});
