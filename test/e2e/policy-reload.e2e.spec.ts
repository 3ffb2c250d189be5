import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { auditTrail } from '../support/audit.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

const ROTATING = `    - name: rotating
      resource: https://rotating.example.com
      actions: [run]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      revokeOnPolicyChange: true
`;
const TWO_PERSON = `    - name: two-person
      resource: https://deploy.example.com
      actions: [deploy:create]
      maxDuration: 30m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads], principals: ["corp:carol"] }
      approvalsRequired: 2
`;

/** The reloaded policy: two-person gone, prod-db-admin shorter and approved by others, rotating wider. */
function changed(yaml: string): string {
  const replacements: [string, string][] = [
    [TWO_PERSON, ''],
    [
      '      maxDuration: 1h\n      defaultDuration: 15m',
      '      maxDuration: 30m\n      defaultDuration: 15m',
    ],
    [
      'approvers: { groups: [sre-leads], principals: ["corp:carol"] }\n      approvalsRequired: 1',
      'approvers: { groups: [db-owners], principals: ["corp:carol"] }\n      approvalsRequired: 1',
    ],
    [
      '      actions: [run]\n      maxDuration: 1h\n      requesters',
      '      actions: [run, inspect]\n      maxDuration: 1h\n      requesters',
    ],
  ];
  return replacements.reduce((text, [from, to]) => {
    if (!text.includes(from))
      throw new Error(`test config does not contain ${JSON.stringify(from)}`);
    return text.replace(from, to);
  }, yaml);
}

describe.each(DATABASE_KINDS)('policy reload on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  let reloadYaml: string;
  let original: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    original = testConfigYaml(issuer, ROTATING);
    reloadYaml = original;
    broker = await startBroker({ kind, issuer, yaml: original, reloadYaml: () => reloadYaml });
  });

  afterAll(async () => {
    await broker.close();
    await issuer.close();
  });

  async function mint(role: string, duration: string, justification?: string) {
    const request = await createRequest(broker, 'alice', { role, duration, justification });
    await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
    const minted = await (
      await as(broker, 'alice')
    )
      .post(`/v1/requests/${request.id}/credentials`)
      .expect(201);
    return minted.body as { grantId: string; credential: { token: string } };
  }

  it('refuses non-admins and a config that does not validate, and changes nothing then', async () => {
    const refused = await (await as(broker, 'alice')).post('/v1/policy/reload').expect(403);
    expect(refused.body).toMatchObject({ error: 'forbidden', reason: 'not_admin' });
    expect(await auditTrail(broker, { type: 'policy.refused' })).toEqual([
      expect.objectContaining({
        actor: 'corp:alice',
        data: expect.objectContaining({ reason: 'not_admin' }),
      }),
    ]);
    const pending = await createRequest(broker, 'alice', { role: 'two-person' });
    reloadYaml = original.replace('maxDuration: 30m', 'maxDuration: forever');
    const invalid = await (await as(broker, 'dave')).post('/v1/policy/reload').expect(400);
    expect(invalid.body).toMatchObject({
      error: 'invalid_request',
      fields: [{ field: 'policy.roles[1].maxDuration', message: expect.any(String) }],
    });
    const still = await (await as(broker, 'alice')).get(`/v1/requests/${pending.id}`).expect(200);
    expect(still.body.status).toBe('pending');
    await (await as(broker, 'alice')).post(`/v1/requests/${pending.id}/cancel`).expect(200);
  });

  it('expires open requests the new policy no longer allows and revokes grants of changed roles that ask for it', async () => {
    const removedRole = await createRequest(broker, 'alice', { role: 'two-person' });
    const tooLong = await createRequest(broker, 'alice', {
      role: 'prod-db-admin',
      duration: '1h',
      justification: 'INC-1',
    });
    const fits = await createRequest(broker, 'alice', {
      role: 'prod-db-admin',
      duration: '10m',
      justification: 'INC-2',
    });
    const approvedByBob = await createRequest(broker, 'alice', {
      role: 'prod-db-admin',
      duration: '10m',
      justification: 'INC-3',
    });
    await (await as(broker, 'bob')).post(`/v1/requests/${approvedByBob.id}/approve`).expect(200);
    const rotating = await mint('rotating', '30m');
    const quick = await mint('quick', '5m');

    reloadYaml = changed(original);
    const reloaded = await (await as(broker, 'dave')).post('/v1/policy/reload').expect(200);
    expect(reloaded.body).toEqual({
      changedRoles: expect.arrayContaining(['prod-db-admin', 'two-person', 'rotating']),
      expiredRequests: 3,
      revokedGrants: 1,
      revocationFailures: 0,
      restartNeeded: [],
    });
    expect(reloaded.body.changedRoles).toHaveLength(3);

    const alice = await as(broker, 'alice');
    const status = async (id: string) =>
      (await alice.get(`/v1/requests/${id}`).expect(200)).body.status as string;
    expect(await status(removedRole.id)).toBe('expired');
    expect(await status(tooLong.id)).toBe('expired');
    expect(await status(approvedByBob.id)).toBe('expired');
    expect(await status(fits.id)).toBe('pending');
    const expiredEvents = await auditTrail(broker, { type: 'request.expired' });
    expect(
      expiredEvents
        .filter((e) => e.data.reason === 'policy_changed')
        .map((e) => e.requestId)
        .sort(),
    ).toEqual([removedRole.id, tooLong.id, approvedByBob.id].sort());

    const revoked = await alice.get(`/v1/grants/${rotating.grantId}`).expect(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revokedReason: 'policy changed' });
    const inactive = await alice
      .post('/v1/introspect', { token: rotating.credential.token })
      .expect(200);
    expect(inactive.body).toEqual({ active: false });
    const untouched = await alice.get(`/v1/grants/${quick.grantId}`).expect(200);
    expect(untouched.body.status).toBe('active');

    expect(await auditTrail(broker, { type: 'policy.changed' })).toEqual([
      expect.objectContaining({
        actor: 'corp:dave',
        data: expect.objectContaining({ expiredRequests: 3, revokedGrants: 1 }),
      }),
    ]);

    // The new policy is in force for what comes next.
    const gone = await alice.post('/v1/requests', { role: 'two-person' }).expect(403);
    expect(gone.body).toEqual({
      error: 'not_eligible',
      message: 'you may not request this role; GET /v1/roles lists the roles you may request',
      reason: 'not_a_requester',
    });
    // bob is no approver of prod-db-admin any more: the request is not his to see.
    await (await as(broker, 'bob')).post(`/v1/requests/${fits.id}/approve`).expect(404);
  });

  it('applies a directory change to bearer tokens at once, with no restart needed', async () => {
    const request = await createRequest(broker, 'alice', { role: 'quick' });
    // zed's token carries no groups; only the directory can make him an sre-lead.
    const before = await (await as(broker, 'zed')).post(`/v1/requests/${request.id}/approve`);
    expect({ status: before.status, reason: before.body.reason }).toEqual({
      status: 404,
      reason: undefined,
    });
    const directory = 'directory:\n  "corp:erin": [sre-leads]\n';
    expect(reloadYaml).toContain(directory);
    reloadYaml = reloadYaml.replace(directory, `${directory}  "corp:zed": [sre-leads]\n`);
    const reloaded = await (await as(broker, 'dave')).post('/v1/policy/reload').expect(200);
    expect(reloaded.body.restartNeeded).toEqual([]);
    await (await as(broker, 'zed')).post(`/v1/requests/${request.id}/approve`).expect(200);
    const approved = await (await as(broker, 'alice')).get(`/v1/requests/${request.id}`);
    expect(approved.body).toMatchObject({
      status: 'approved',
      approvals: [{ approver: 'corp:zed' }],
    });
  });
});

const run = promisify(execFile);

describe('SIGHUP reloads the policy of a running broker', () => {
  let issuer: TestIssuer;
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    dir = await mkdtemp(join(tmpdir(), 'countersign-sighup-'));
    await run('npm', ['run', '-s', 'build']);
  }, 120_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await issuer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('expires a pending request whose role the new file removes', async () => {
    const configPath = join(dir, 'countersign.yaml');
    const yaml = testConfigYaml(issuer).replace('  queuePrefix: ${TEST_QUEUE_PREFIX}\n', '');
    await writeFile(configPath, yaml);
    const port = 39_000 + Math.floor(Math.random() * 1000);
    child = spawn('node', ['dist/apps/broker/src/main.js'], {
      env: {
        ...process.env,
        COUNTERSIGN_CONFIG: configPath,
        PORT: String(port),
        DATABASE_URL: `sqlite:${join(dir, 'broker.db')}`,
        COUNTERSIGN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        REDIS_URL: '',
      },
      stdio: 'ignore',
    });
    const base = `http://127.0.0.1:${port}`;
    await eventually(
      () =>
        fetch(`${base}/health/ready`).then(
          (r) => (r.ok ? true : undefined),
          () => undefined,
        ),
      20_000,
      200,
    );
    const alice = {
      authorization: `Bearer ${await issuer.token('alice', { groups: ['engineering'] })}`,
    };
    const created = await fetch(`${base}/v1/requests`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'two-person' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    await writeFile(configPath, yaml.replace(TWO_PERSON, ''));
    child.kill('SIGHUP');
    const status = await eventually(
      async () => {
        const response = await fetch(`${base}/v1/requests/${id}`, { headers: alice });
        const body = (await response.json()) as { status: string };
        return body.status === 'expired' ? body.status : undefined;
      },
      10_000,
      100,
    );
    expect(status).toBe('expired');
  }, 60_000);
});
