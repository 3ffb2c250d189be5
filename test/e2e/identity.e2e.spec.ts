import type { Response } from 'supertest';
import { FixedClock } from '#domain';
import { auditTrail, refusalsOf } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as, createRequest } from '../support/flow.js';
import { SvidIssuer } from '../support/svid-issuer.js';
import { TestIssuer } from '../support/test-issuer.js';

const PROD = { role: 'prod-db-admin', justification: 'INC-9' };
const DEPLOYER_PATH = 'ns/ci/sa/deployer';

/**
 * The test config plus: a SPIFFE trust domain served over HTTP and another read from a bundle
 * file; workloads in the directory; alice's agent owned by the service account alice-sa (created
 * through the API, owned by alice); a release bot (owned by bob) named in policy.approverBots; a
 * bot of carol's that is not.
 */
function identityYaml(issuer: TestIssuer, spire: SvidIssuer, files: SvidIssuer): string {
  const deployer = `spiffe:${spire.id(DEPLOYER_PATH)}`;
  return testConfigYaml(issuer)
    .replace(
      '      groupsClaim: groups\n',
      `      groupsClaim: groups
    - name: spire
      kind: spiffe
      trustDomain: ${spire.trustDomain}
      jwksUri: ${spire.bundleUri}
      audience: countersign
    - name: spire-files
      kind: spiffe
      trustDomain: ${files.trustDomain}
      bundleFile: ${files.bundleFile}
      audience: countersign
`,
    )
    .replace(
      '  "corp:bob-bot": "corp:bob"\n',
      `  "corp:bob-bot": "corp:bob"
  "corp:alice-agent": "local:alice-sa"
  "corp:release-bot": "corp:bob"
  "corp:carol-bot": "corp:carol"
  "${deployer}": "corp:carol"
`,
    )
    .replace(
      '  "corp:erin": [sre-leads]\n',
      `  "corp:erin": [sre-leads]
  "${deployer}": [engineering, sre-leads]
  "spiffe:${files.id('batch')}": [engineering]
`,
    )
    .replace(
      '  admins: { groups: [security] }\n',
      '  admins: { groups: [security] }\n  approverBots: ["corp:release-bot"]\n',
    );
}

function expectError(res: Response, status: number, error: string, reason?: string) {
  expect({ status: res.status, error: res.body.error, reason: res.body.reason }).toEqual({
    status,
    error,
    reason,
  });
}

describe.each(DATABASE_KINDS)('identity on %s', (kind) => {
  let issuer: TestIssuer;
  let spire: SvidIssuer;
  let files: SvidIssuer;
  let broker: TestBroker;
  const clock = new FixedClock(new Date());

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    spire = await SvidIssuer.start('example.org');
    files = await SvidIssuer.start('files.example.org');
    broker = await startBroker({ kind, issuer, clock, yaml: identityYaml(issuer, spire, files) });
  });

  afterAll(async () => {
    await broker?.close();
    await Promise.all([issuer?.close(), spire?.close(), files?.close()]);
  });

  /** A client presenting any bearer value. */
  const bearer = (value: string) => ({
    get: (path: string) => broker.http.get(path).set('authorization', `Bearer ${value}`),
    post: (path: string, body: object = {}) =>
      broker.http.post(path).set('authorization', `Bearer ${value}`).send(body),
  });

  async function createAccount(body: object): Promise<{ key: string; [key: string]: unknown }> {
    const res = await (await as(broker, 'dave')).post('/v1/service-accounts', body);
    expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 201 });
    return res.body as { key: string };
  }

  describe('workload identity (SPIFFE JWT-SVIDs)', () => {
    it('a workload with a JWT-SVID requests access as spiffe:<SPIFFE ID>', async () => {
      const svid = await spire.svid(spire.id(DEPLOYER_PATH));
      const res = await bearer(svid).post('/v1/requests', PROD).expect(201);
      expect(res.body).toMatchObject({
        requester: `spiffe:${spire.id(DEPLOYER_PATH)}`,
        recipient: `spiffe:${spire.id(DEPLOYER_PATH)}`,
        status: 'pending',
      });
      await bearer(svid)
        .get(`/v1/requests/${res.body.id as string}`)
        .expect(200);
    });

    it('a workload of a trust domain whose bundle is a file requests access too', async () => {
      const svid = await files.svid(files.id('batch'));
      const res = await bearer(svid).post('/v1/requests', PROD).expect(201);
      expect(res.body.requester).toBe(`spiffe:${files.id('batch')}`);
    });

    it.each<[string, () => Promise<string>]>([
      ['a SPIFFE ID of another trust domain', () => spire.svid('spiffe://other.org/ns/ci')],
      [
        'a SPIFFE ID of a configured trust domain signed by another one',
        () => spire.svid(files.id('batch')),
      ],
      ['another audience', () => spire.svid(spire.id(DEPLOYER_PATH), { audience: 'other' })],
      ['an expired SVID', () => spire.svid(spire.id(DEPLOYER_PATH), { expiresIn: '-2m' })],
      ['the X.509 authority key', () => spire.svid(spire.id(DEPLOYER_PATH), { x509Key: true })],
      ['a key outside the bundle', () => spire.svid(spire.id(DEPLOYER_PATH), { strayKey: true })],
      ['a sub that is not a SPIFFE ID', () => spire.svid('deployer')],
    ])('refuses %s with 401', async (_case, svid) => {
      const res = await bearer(await svid()).post('/v1/requests', PROD);
      expectError(res, 401, 'unauthenticated');
    });

    it('a workload in an approvers group never approves (approver_non_human)', async () => {
      const request = await createRequest(broker, 'alice', PROD);
      const svid = await spire.svid(spire.id(DEPLOYER_PATH));
      const res = await bearer(svid).post(`/v1/requests/${request.id}/approve`, {});
      expectError(res, 403, 'separation_of_duties', 'approver_non_human');
      const actor = `spiffe:${spire.id(DEPLOYER_PATH)}`;
      expect((await refusalsOf(broker, { requestId: request.id, actor })).refused).toEqual([
        expect.objectContaining({ type: 'approval.refused', reason: 'approver_non_human' }),
      ]);
    });
  });

  describe('service accounts with API keys', () => {
    it('dave creates one: the key is shown once, never its hash, and it requests access', async () => {
      const created = await createAccount({
        name: 'ci-deployer',
        owner: 'corp:alice',
        description: 'CI deploys',
        groups: ['engineering'],
      });
      expect(created).toEqual({
        name: 'ci-deployer',
        principal: 'local:ci-deployer',
        owner: 'corp:alice',
        description: 'CI deploys',
        groups: ['engineering'],
        status: 'active',
        keyPrefix: expect.stringMatching(/^cs_sa_[0-9a-f]{16}$/),
        keyCreatedAt: expect.any(String),
        createdAt: expect.any(String),
        createdBy: 'corp:dave',
        keyHolder: 'corp:dave',
        key: expect.stringMatching(/^cs_sa_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/),
      });
      expect(created.key.startsWith(`${created.keyPrefix as string}_`)).toBe(true);
      const shown = await (await as(broker, 'dave')).get('/v1/service-accounts/ci-deployer');
      expect(shown.status).toBe(200);
      expect(shown.body).not.toHaveProperty('key');
      expect(JSON.stringify(shown.body)).not.toContain(created.key.slice(-43));

      const request = await bearer(created.key).post('/v1/requests', PROD).expect(201);
      expect(request.body).toMatchObject({ requester: 'local:ci-deployer', status: 'pending' });
      const used = await (await as(broker, 'dave')).get('/v1/service-accounts/ci-deployer');
      expect(used.body.lastUsedAt).toBe(clock.now().toISOString());

      const events = await auditTrail(broker, { type: 'service_account.created' });
      expect(events.map((e) => e.data)).toContainEqual({
        name: 'ci-deployer',
        principal: 'local:ci-deployer',
        owner: 'corp:alice',
        groups: ['engineering'],
        keyId: (created.keyPrefix as string).slice('cs_sa_'.length),
        keyExpiresAt: null,
      });
      const everything = JSON.stringify(await auditTrail(broker, {}));
      expect(everything).not.toContain(created.key.slice(-43));
    });

    it('rotating stops the old key at once and the new key works; disabling stops it', async () => {
      const { key: first } = await createAccount({
        name: 'rotating',
        owner: 'corp:bob',
        groups: ['engineering'],
      });
      await bearer(first).get('/v1/requests').expect(200);
      const dave = await as(broker, 'dave');
      const rotated = await dave.post('/v1/service-accounts/rotating/rotate').expect(200);
      const second = rotated.body.key as string;
      expect(second).not.toBe(first);
      expectError(await bearer(first).get('/v1/requests'), 401, 'unauthenticated');
      await bearer(second).post('/v1/requests', PROD).expect(201);

      const disabled = await dave.post('/v1/service-accounts/rotating/disable').expect(200);
      expect(disabled.body).toMatchObject({ status: 'disabled', disabledAt: expect.any(String) });
      expect(disabled.body).not.toHaveProperty('key');
      expectError(await bearer(second).get('/v1/requests'), 401, 'unauthenticated');
      await dave.post('/v1/service-accounts/rotating/disable').expect(200); // idempotent
      expectError(
        await dave.post('/v1/service-accounts/rotating/rotate'),
        409,
        'invalid_state',
        'service_account_disabled',
      );
      const types = (await auditTrail(broker, {})).filter(
        (e) => e.type.startsWith('service_account.') && e.data.name === 'rotating',
      );
      expect(types.map((e) => e.type)).toEqual([
        'service_account.created',
        'service_account.rotated',
        'service_account.disabled',
        'service_account.refused',
      ]);
    });

    it('a key with an expiry stops working then', async () => {
      const { key } = await createAccount({
        name: 'short-lived',
        owner: 'corp:bob',
        keyExpiresIn: '2m',
      });
      await bearer(key).get('/v1/requests').expect(200);
      clock.advance(121);
      expectError(await bearer(key).get('/v1/requests'), 401, 'unauthenticated');
    });

    it('only admins create, rotate and disable; others see only what they own', async () => {
      await createAccount({ name: 'alices-tool', owner: 'corp:alice' });
      const alice = await as(broker, 'alice');
      const mallory = await as(broker, 'mallory');
      expectError(
        await alice.post('/v1/service-accounts', { name: 'mine', owner: 'corp:alice' }),
        403,
        'forbidden',
        'not_admin',
      );
      expectError(
        await alice.post('/v1/service-accounts/alices-tool/rotate'),
        403,
        'forbidden',
        'not_admin',
      );
      expectError(
        await alice.post('/v1/service-accounts/alices-tool/disable'),
        403,
        'forbidden',
        'not_admin',
      );
      await alice.get('/v1/service-accounts/alices-tool').expect(200);
      expectError(await mallory.get('/v1/service-accounts/alices-tool'), 404, 'not_found');
      const names = (res: Response) => (res.body.items as { name: string }[]).map((a) => a.name);
      // Newest first; alice owns two, bob the other two.
      expect(names(await alice.get('/v1/service-accounts').expect(200))).toEqual([
        'alices-tool',
        'ci-deployer',
      ]);
      const all = await (await as(broker, 'dave')).get('/v1/service-accounts').expect(200);
      // The other three were created at the same (fixed-clock) instant: their order is the ids'.
      expect(names(all)[0]).toBe('alices-tool');
      expect(names(all).sort()).toEqual(['alices-tool', 'ci-deployer', 'rotating', 'short-lived']);
      const refused = await auditTrail(broker, {
        type: 'service_account.refused',
        actor: 'corp:alice',
      });
      expect(refused.map((e) => e.data)).toEqual([
        { action: 'create', name: 'mine', code: 'forbidden', reason: 'not_admin' },
        { action: 'rotate', name: 'alices-tool', code: 'forbidden', reason: 'not_admin' },
        { action: 'disable', name: 'alices-tool', code: 'forbidden', reason: 'not_admin' },
      ]);
    });

    it.each<[string, object, number, string, string | undefined]>([
      [
        'an owner with an owner',
        { owner: 'corp:alice-bot' },
        400,
        'invalid_request',
        'owner_not_human',
      ],
      [
        'a service account as owner',
        { owner: 'local:ci-deployer' },
        400,
        'invalid_request',
        'owner_not_human',
      ],
      [
        'a workload as owner',
        { owner: `spiffe:spiffe://example.org/w` },
        400,
        'invalid_request',
        'owner_not_human',
      ],
      [
        'an owner of no configured issuer',
        { owner: 'okta:alice' },
        400,
        'invalid_request',
        'owner_not_human',
      ],
      ['an admin group', { groups: ['security'] }, 400, 'invalid_request', 'admin_group'],
      ['a taken name', { name: 'ci-deployer' }, 409, 'invalid_state', 'name_taken'],
      ['a bad name', { name: 'Bad_Name' }, 400, 'invalid_request', undefined],
      ['an unknown field', { admin: true }, 400, 'invalid_request', undefined],
      ['a key lifetime over a year', { keyExpiresIn: '400d' }, 400, 'invalid_request', undefined],
    ])('refuses %s', async (_case, change, status, error, reason) => {
      const body = { name: 'refused-one', owner: 'corp:alice', ...change };
      expectError(
        await (await as(broker, 'dave')).post('/v1/service-accounts', body),
        status,
        error,
        reason,
      );
    });

    it.each<[string, string]>([
      ['a malformed key', 'cs_sa_nothex_x'],
      ['an unknown key id', `cs_sa_0123456789abcdef_${'A'.repeat(43)}`],
    ])('refuses %s with 401', async (_case, key) => {
      expectError(await bearer(key).get('/v1/requests'), 401, 'unauthenticated');
    });

    it('a service account never approves, even in an approvers group', async () => {
      const { key } = await createAccount({
        name: 'lead-bot',
        owner: 'corp:carol',
        groups: ['sre-leads'],
      });
      const request = await createRequest(broker, 'alice', PROD);
      const res = await bearer(key).post(`/v1/requests/${request.id}/approve`);
      expectError(res, 403, 'separation_of_duties', 'approver_non_human');
    });
  });

  describe('the ownership graph', () => {
    it('alice’s agent, owned through a service account alice owns, is refused as approver of alice’s request', async () => {
      await createAccount({ name: 'alice-sa', owner: 'corp:alice' });
      const request = await createRequest(broker, 'alice', PROD);
      const agent = await as(broker, 'alice-agent', ['sre-leads']);
      const res = await agent.post(`/v1/requests/${request.id}/approve`);
      expectError(res, 403, 'separation_of_duties', 'approver_linked');
      expect(
        await refusalsOf(broker, { requestId: request.id, actor: 'corp:alice-agent' }),
      ).toEqual({
        refused: [
          { type: 'approval.refused', code: 'separation_of_duties', reason: 'approver_linked' },
        ],
        denied: [expect.objectContaining({ action: 'approve', reason: 'approver_linked' })],
      });
      // alice owns the agent through the chain: she may request for it as recipient.
      const forAgent = await createRequest(broker, 'alice', {
        ...PROD,
        recipient: 'corp:alice-agent',
      });
      expect(forAgent.recipient).toBe('corp:alice-agent');
    });

    it('a bot named in policy.approverBots approves, unless it shares an owner with a party', async () => {
      const bot = await as(broker, 'release-bot', ['sre-leads']);
      const alices = await createRequest(broker, 'alice', PROD);
      const approved = await bot.post(`/v1/requests/${alices.id}/approve`).expect(200);
      expect(approved.body).toMatchObject({
        status: 'approved',
        approvals: [expect.objectContaining({ approver: 'corp:release-bot' })],
      });
      await (await as(broker, 'alice')).post(`/v1/requests/${alices.id}/credentials`).expect(201);

      const bobs = await createRequest(broker, 'bob-bot', PROD);
      expectError(
        await bot.post(`/v1/requests/${bobs.id}/approve`),
        403,
        'separation_of_duties',
        'approver_linked',
      );
      const unnamed = await as(broker, 'carol-bot', ['sre-leads']);
      const another = await createRequest(broker, 'alice', PROD);
      expectError(
        await unnamed.post(`/v1/requests/${another.id}/approve`),
        403,
        'separation_of_duties',
        'approver_non_human',
      );
    });
  });

  it('leaves an audit chain that verifies', async () => {
    const verify = await (await as(broker, 'dave')).get('/v1/audit/verify').expect(200);
    expect(verify.body.ok).toBe(true);
  });
});
