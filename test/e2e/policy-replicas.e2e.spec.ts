import type { FreshDatabase } from '../support/databases.js';
import { freshDatabase } from '../support/databases.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { auditTrail } from '../support/audit.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

const ADDED = `    - name: added-later
      resource: https://added.example.com
      actions: [run]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
`;

/** The hash `countersign_policy_info` reports; there must be exactly one series. */
async function metricHash(broker: TestBroker): Promise<string> {
  const text = (await broker.http.get('/metrics').expect(200)).text;
  const series = [...text.matchAll(/^countersign_policy_info\{hash="([0-9a-f]+)"\} 1$/gm)];
  expect(series).toHaveLength(1);
  return series[0][1];
}

async function readyHash(broker: TestBroker): Promise<string> {
  const body = (await broker.http.get('/health/ready').expect(200)).body;
  expect(body.details.policy).toEqual({
    status: 'up',
    hash: expect.stringMatching(/^[0-9a-f]{16}$/),
  });
  return body.details.policy.hash as string;
}

async function roleNames(broker: TestBroker): Promise<string[]> {
  const body = (await (await as(broker, 'alice')).get('/v1/roles').expect(200)).body;
  return (body.items as { name: string }[]).map((role) => role.name);
}

describe('policy reload across replicas on postgres', () => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let a: TestBroker;
  let b: TestBroker;
  let reloadYaml: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    database = await freshDatabase('postgres');
    const original = testConfigYaml(issuer);
    reloadYaml = original;
    // Both replicas read the same file: the test's `reloadYaml`.
    a = await startBroker({
      kind: 'postgres',
      issuer,
      database,
      yaml: original,
      reloadYaml: () => reloadYaml,
    });
    b = await startBroker({
      kind: 'postgres',
      issuer,
      database,
      yaml: original,
      reloadYaml: () => reloadYaml,
    });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
    await issuer.close();
  });

  it('a reload through one replica reaches the other within 2 s, and both report the new hash', async () => {
    const before = await metricHash(a);
    expect(await metricHash(b)).toBe(before);
    expect(await readyHash(a)).toBe(before);
    expect(await readyHash(b)).toBe(before);
    expect(await roleNames(b)).not.toContain('added-later');

    reloadYaml = testConfigYaml(issuer, ADDED);
    const started = Date.now();
    const reloaded = await (await as(a, 'dave')).post('/v1/policy/reload').expect(200);
    expect(reloaded.body.changedRoles).toEqual(['added-later']);
    const after = await metricHash(a);
    expect(after).not.toBe(before);
    expect(await readyHash(a)).toBe(after);

    await eventually(async () => ((await metricHash(b)) === after ? true : undefined), 2000);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await readyHash(b)).toBe(after);
    expect(await roleNames(b)).toContain('added-later');
    const request = await createRequest(b, 'alice', { role: 'added-later' });
    expect(request.id).toEqual(expect.any(String));
  });

  it('the replica that followed does not announce again: one reload each, the admin and the follower', async () => {
    // Long enough for a second round of notifications to arrive and be acted on.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const changes = await auditTrail(a, { type: 'policy.changed' });
    expect(changes.map((event) => event.actor).sort()).toEqual(['corp:dave', 'system']);
    expect(await metricHash(a)).toBe(await metricHash(b));
  });
});
