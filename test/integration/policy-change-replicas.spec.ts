import { jest } from '@jest/globals';
import { ApplyPolicyChange } from '#access';
import { parseConfig } from '#config';
import { auditTrail } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { TEST_ENCRYPTION_KEY, startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { TEST_REDIS_URL, freshDatabase } from '../support/databases.js';
import { as, createRequest } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(120_000);

const ROTATING = `    - name: rotating
      resource: https://rotating.example.com
      actions: [run]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      revokeOnPolicyChange: true
`;
const TWO_PERSON_APPROVALS = 'approvalsRequired: 2\n';

/** two-person gone (its open requests expire), rotating changed (its grants are revoked). */
function changed(yaml: string): string {
  const twoPerson = yaml.indexOf('    - name: two-person');
  const end = yaml.indexOf(TWO_PERSON_APPROVALS, twoPerson) + TWO_PERSON_APPROVALS.length;
  if (twoPerson < 0 || end < TWO_PERSON_APPROVALS.length) throw new Error('no two-person role');
  return (yaml.slice(0, twoPerson) + yaml.slice(end)).replace(
    'actions: [run]\n      maxDuration: 1h\n      requesters: { groups: [engineering] }\n      approvers: { groups: [sre-leads] }\n      revokeOnPolicyChange',
    'actions: [run, inspect]\n      maxDuration: 1h\n      requesters: { groups: [engineering] }\n      approvers: { groups: [sre-leads] }\n      revokeOnPolicyChange',
  );
}

// A reload reaches every replica (docs/policy-changes.md), and each applies it: re-evaluating the
// open requests and revoking the grants of changed roles. Both at once on one PostgreSQL database
// must still end each request and each grant once.
describe('a policy change applied by two replicas at once', () => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let brokers: TestBroker[];

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    database = await freshDatabase('postgres');
    const yaml = testConfigYaml(issuer, ROTATING);
    brokers = [];
    for (let i = 0; i < 2; i += 1) {
      brokers.push(await startBroker({ kind: 'postgres', issuer, database, yaml }));
    }
  });

  afterAll(async () => {
    for (const broker of brokers ?? []) await broker.close();
    await database?.drop();
    await issuer?.close();
  });

  it('expires each disallowed request and revokes each grant of a changed role once', async () => {
    const grantIds: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const broker = brokers[i % 2];
      const request = await createRequest(broker, 'alice', { role: 'rotating', duration: '30m' });
      await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
      const minted = await (
        await as(broker, 'alice')
      )
        .post(`/v1/requests/${request.id}/credentials`)
        .expect(201);
      grantIds.push((minted.body as { grantId: string }).grantId);
    }
    const requestIds: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      requestIds.push((await createRequest(brokers[i % 2], 'alice', { role: 'two-person' })).id);
    }

    // Each replica re-reads its own file, as a broadcast reload does.
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      COUNTERSIGN_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      TEST_QUEUE_PREFIX: database.queuePrefix,
    };
    const next = changed(testConfigYaml(issuer, ROTATING));
    const reports = await Promise.all(
      brokers.map((broker) =>
        broker.app.get(ApplyPolicyChange).apply('system', parseConfig(next, env)),
      ),
    );
    const total = (field: 'expiredRequests' | 'revokedGrants' | 'revocationFailures') =>
      reports.reduce((sum, report) => sum + report[field], 0);
    expect(total('revokedGrants')).toBe(20);
    expect(total('expiredRequests')).toBe(10);
    expect(total('revocationFailures')).toBe(0);

    const revoked = await auditTrail(brokers[0], { type: 'grant.revoked' });
    expect(revoked.map((event) => event.grantId).sort()).toEqual(grantIds.sort());
    const expired = await auditTrail(brokers[0], { type: 'request.expired' });
    expect(expired.map((event) => event.requestId).sort()).toEqual(requestIds.sort());
    expect(expired.every((event) => event.data.reason === 'policy_changed')).toBe(true);
    // Each replica records the reload it applied.
    expect(await auditTrail(brokers[0], { type: 'policy.changed' })).toHaveLength(2);
  });
});
