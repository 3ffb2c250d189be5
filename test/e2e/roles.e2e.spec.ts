import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as } from '../support/flow.js';
import { expectError } from '../support/jwt-tools.js';
import { TestIssuer } from '../support/test-issuer.js';

// Provider and break-glass settings that must never leave the broker: secrets, and the URLs of
// the systems they open (nothing answers on port 1).
const WEBHOOK_SECRET = 'whsec-roles-e2e-7c1d9a4b2e';
const WEBHOOK_URL = 'http://127.0.0.1:1/flags-hook';
const PG_PASSWORD = 'pgpass-roles-e2e-51f0c3';
const PG_CONNECTION = `postgres://cs_admin:${PG_PASSWORD}@127.0.0.1:1/payments`;
const NOTIFY_SECRET = 'bgsec-roles-e2e-9e8d7c6b';
const NOTIFY_URL = 'http://127.0.0.1:1/break-glass-notices';
const HIDDEN = [
  WEBHOOK_SECRET,
  WEBHOOK_URL,
  PG_PASSWORD,
  PG_CONNECTION,
  NOTIFY_SECRET,
  NOTIFY_URL,
  'rolestest_',
];

/** Two more roles: a webhook role that allows break-glass, and a postgres role only carol may ask for. */
const EXTRA_ROLES = `
    - name: flags-admin
      resource: https://flags.example.com
      actions: [flags:write]
      maxDuration: 30m
      defaultDuration: 10m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      approvalsRequired: 2
      provider: { type: webhook, url: "${WEBHOOK_URL}", secret: "${WEBHOOK_SECRET}", timeout: 2s }
      breakGlass:
        maxDuration: 15m
        reviewWithin: 2h
        escalateEvery: 30m
        notify: { slack: false, webhook: { url: "${NOTIFY_URL}", secret: "${NOTIFY_SECRET}" } }
    - name: payments-read
      resource: postgres://payments
      actions: [db:read]
      maxDuration: 2h
      requesters: { principals: ["corp:carol"] }
      approvers: { groups: [sre-leads] }
      provider:
        type: postgres
        connection: "${PG_CONNECTION}"
        targetRole: payments_reader
        rolePrefix: rolestest_
`;

interface RoleBody {
  name: string;
  requestable: boolean;
  [field: string]: unknown;
}

describe.each(DATABASE_KINDS)('GET /v1/roles on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer, yaml: testConfigYaml(issuer, EXTRA_ROLES) });
  });

  afterAll(async () => {
    await broker.close();
    await issuer.close();
  });

  const rolesOf = async (user: string, groups?: string[]) => {
    const response = await (await as(broker, user, groups)).get('/v1/roles').expect(200);
    return { items: response.body.items as RoleBody[], text: response.text };
  };

  it('shows a requester the roles it may request, with their limits', async () => {
    const { items } = await rolesOf('alice');
    expect(items.map((role) => role.name)).toEqual([
      'prod-db-admin',
      'two-person',
      'quick',
      'flags-admin',
    ]);
    expect(items[0]).toEqual({
      name: 'prod-db-admin',
      resource: 'postgres://prod/payments',
      actions: ['db:read', 'db:write'],
      maxDuration: 3600,
      maxExtendedDuration: 7200,
      defaultDuration: 900,
      approvalsRequired: 1,
      requireJustification: true,
      provider: 'jwt',
      requestable: true,
    });
    expect(items[3]).toEqual({
      name: 'flags-admin',
      resource: 'https://flags.example.com',
      actions: ['flags:write'],
      maxDuration: 1800,
      maxExtendedDuration: 3600,
      defaultDuration: 600,
      approvalsRequired: 2,
      requireJustification: false,
      provider: 'webhook',
      requestable: true,
      breakGlass: { maxDuration: 900, reviewWithin: 7200 },
    });
  });

  it('follows principals as well as groups: carol may request payments-read only', async () => {
    const { items } = await rolesOf('carol');
    expect(items).toEqual([
      expect.objectContaining({ name: 'payments-read', provider: 'postgres', requestable: true }),
    ]);
  });

  it('shows an outsider nothing', async () => {
    expect((await rolesOf('mallory')).items).toEqual([]);
  });

  it('shows an admin every role, marking those it may not request itself', async () => {
    const { items } = await rolesOf('dave');
    expect(items.map((role) => [role.name, role.requestable])).toEqual([
      ['prod-db-admin', false],
      ['two-person', false],
      ['quick', false],
      ['flags-admin', false],
      ['payments-read', false],
    ]);
    const admin = await rolesOf('dave-eng', ['security', 'engineering']);
    expect(admin.items.map((role) => [role.name, role.requestable])).toEqual([
      ['prod-db-admin', true],
      ['two-person', true],
      ['quick', true],
      ['flags-admin', true],
      ['payments-read', false],
    ]);
  });

  it('never shows provider settings or break-glass notices, to anyone', async () => {
    for (const user of ['alice', 'carol', 'dave']) {
      const { text } = await rolesOf(user);
      for (const hidden of HIDDEN) expect(text).not.toContain(hidden);
    }
    const { items } = await rolesOf('dave');
    for (const role of items) {
      expect(typeof role.provider).toBe('string');
      expect(role).not.toHaveProperty('requesters');
      expect(role).not.toHaveProperty('approvers');
    }
  });

  it('needs a token', async () => {
    expectError(await broker.http.get('/v1/roles'), 401, 'unauthenticated');
  });
});
