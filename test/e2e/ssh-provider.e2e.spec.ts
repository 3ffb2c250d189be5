import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rotateSshCaKey } from '../../apps/broker/src/keys-rotate.js';
import { run } from '../../apps/cli/src/run.js';
import { auditTrail } from '../support/audit.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as, createRequest } from '../support/flow.js';
import { TestSshd, newKeyPair } from '../support/sshd.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(60_000);

const PRINCIPAL = 'ops-fleet';

const sshRole = `
    - name: ssh-ops
      resource: ssh://fleet.example.com
      actions: [login]
      maxDuration: 1h
      defaultDuration: 10m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      provider:
        type: ssh
        principals: [${PRINCIPAL}, ops-spare]
        extensions: [permit-pty, permit-agent-forwarding]
        sourceAddress: [127.0.0.1/32, "::1"]
    - name: ssh-emergency
      resource: ssh://fleet.example.com
      actions: [login]
      maxDuration: 30m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      breakGlass: { maxDuration: 10m, reviewWithin: 1h }
      provider: { type: ssh, principals: [${PRINCIPAL}] }
`;

interface Minted {
  grantId: string;
  expiresAt: string;
  credential: { type: string; certificate: string };
}

describe.each(DATABASE_KINDS)('ssh certificates on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  let sshd: TestSshd;
  let keys: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    broker = await startBroker({ kind, issuer, yaml: testConfigYaml(issuer, sshRole) });
    keys = mkdtempSync(join(tmpdir(), 'countersign-ssh-keys-'));
    // Fetched before any CA key exists: an empty list that sshd must accept (it refuses every key
    // when its RevokedKeys file is unreadable).
    const empty = await krl();
    sshd = await TestSshd.start(await caPublicKeys(), empty, [PRINCIPAL]);
  });

  afterAll(async () => {
    await sshd?.stop();
    if (keys) rmSync(keys, { recursive: true, force: true });
    await broker?.close();
    await issuer?.close();
  });

  async function caPublicKeys(): Promise<string> {
    const response = await broker.http.get('/.well-known/countersign-ssh-ca.pub').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    return response.text;
  }

  async function krl(): Promise<Buffer> {
    const response = await broker.http.get('/v1/ssh/krl').responseType('blob').expect(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    return response.body as Buffer;
  }

  /** An ssh-ops request by alice, approved by bob: its id. */
  async function approved(duration = '10m'): Promise<string> {
    const request = await createRequest(broker, 'alice', {
      role: 'ssh-ops',
      duration,
      justification: 'INC-7',
    });
    await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
    return request.id;
  }

  /** Mints `requestId` for a fresh key: the key's path, its certificate written beside it. */
  async function mint(requestId: string, name: string): Promise<{ key: string; minted: Minted }> {
    const key = newKeyPair(keys, name);
    const sshPublicKey = readFileSync(`${key}.pub`, 'utf8');
    const alice = await as(broker, 'alice');
    const response = await alice
      .post(`/v1/requests/${requestId}/credentials`, { sshPublicKey })
      .expect(201);
    const minted = response.body as Minted;
    writeFileSync(`${key}-cert.pub`, `${minted.credential.certificate}\n`);
    return { key, minted };
  }

  let url: string | undefined;

  /** The CLI run in-process as alice against the broker, listening from its first use. */
  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    if (url === undefined) {
      await broker.app.listen(0, '127.0.0.1');
      const { port } = (broker.app.getHttpServer() as Server).address() as AddressInfo;
      url = `http://127.0.0.1:${port}`;
    }
    const stdout = { text: '', isTTY: false, write: (chunk: string) => !!(stdout.text += chunk) };
    const stderr = { text: '', isTTY: false, write: (chunk: string) => !!(stderr.text += chunk) };
    const env = {
      XDG_CONFIG_HOME: keys,
      COUNTERSIGN_URL: url,
      COUNTERSIGN_TOKEN: await broker.token('alice'),
    };
    const code = await run(args, { stdout, stderr, env });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('publishes one Ed25519 CA key in OpenSSH format, the same on every call', async () => {
    const first = await caPublicKeys();
    expect(first).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ countersign-ssh-ca\n$/);
    expect(await caPublicKeys()).toBe(first);
    const created = await auditTrail(broker, { type: 'key.created' });
    expect(created.map((event) => event.data)).toContainEqual({
      purpose: 'ssh',
      keyId: fingerprintOf(keys, first.trim()),
    });
  });

  it('refuses a mint body that does not fit: 400 naming sshPublicKey, the request stays approved', async () => {
    const requestId = await approved();
    const alice = await as(broker, 'alice');
    const path = `/v1/requests/${requestId}/credentials`;
    const fields = (body: { fields?: { field: string }[] }) => body.fields?.map((f) => f.field);

    const missing = await alice.post(path, {}).expect(400);
    expect(fields(missing.body)).toEqual(['sshPublicKey']);
    const malformed = await alice
      .post(path, { sshPublicKey: 'ssh-ed25519 not-base64!' })
      .expect(400);
    expect(fields(malformed.body)).toEqual(['sshPublicKey']);
    const rsa = readFileSync(`${newKeyPair(keys, 'small-rsa', 'rsa', 2048)}.pub`, 'utf8');
    const weak = await alice.post(path, { sshPublicKey: rsa }).expect(400);
    expect(fields(weak.body)).toEqual(['sshPublicKey']);
    expect(JSON.stringify(weak.body)).toContain('3072');
    const unknown = await alice.post(path, { sshPublicKey: 'x', publicKey: 'y' }).expect(400);
    expect(fields(unknown.body)).toContain('publicKey');

    // A role of another provider takes no key.
    const jwtRequest = await createRequest(broker, 'alice', {
      role: 'prod-db-admin',
      justification: 'INC-7',
    });
    await (await as(broker, 'bob')).post(`/v1/requests/${jwtRequest.id}/approve`).expect(200);
    const ed25519 = readFileSync(`${newKeyPair(keys, 'for-jwt')}.pub`, 'utf8');
    const misplaced = await alice
      .post(`/v1/requests/${jwtRequest.id}/credentials`, { sshPublicKey: ed25519 })
      .expect(400);
    expect(fields(misplaced.body)).toEqual(['sshPublicKey']);

    const still = await alice.get(`/v1/requests/${requestId}`).expect(200);
    expect(still.body.status).toBe('approved');
    // A 3072-bit RSA key is accepted.
    const rsa3072 = newKeyPair(keys, 'rsa-3072', 'rsa', 3072);
    await alice.post(path, { sshPublicKey: readFileSync(`${rsa3072}.pub`, 'utf8') }).expect(201);
  });

  it('issues a certificate sshd accepts, with the grant’s fields; revoked early, it is refused at the next KRL refresh while another still works', async () => {
    const first = await mint(await approved(), 'first');
    const second = await mint(await approved(), 'second');
    expect(first.minted.credential.type).toBe('ssh-certificate');
    expect(first.minted.credential.certificate).toMatch(/^ssh-ed25519-cert-v01@openssh\.com /);

    const listed = execFileSync('ssh-keygen', ['-L', '-f', `${first.key}-cert.pub`], {
      env: { ...process.env, TZ: 'UTC' },
    }).toString();
    const end = Math.floor(Date.parse(first.minted.expiresAt) / 1000);
    const iso = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 19);
    expect(listed).toContain('user certificate');
    expect(listed).toContain(`Key ID: "${first.minted.grantId}"`);
    expect(listed).toContain(`Valid: from ${iso(end - 600 - 60)} to ${iso(end)}`);
    expect(listed).toMatch(/Principals: \n\s+ops-fleet\n\s+ops-spare\n/);
    expect(listed).toMatch(/Critical Options: \n\s+source-address 127\.0\.0\.1\/32,::1\n/);
    expect(listed).toMatch(/Extensions: \n\s+permit-agent-forwarding\n\s+permit-pty\n/);
    const serial = (text: string) => /Serial: (\d+)/.exec(text)?.[1];
    const secondListed = execFileSync('ssh-keygen', ['-L', '-f', `${second.key}-cert.pub`]);
    expect(serial(listed)).toMatch(/^[1-9]\d*$/);
    expect(serial(secondListed.toString())).not.toBe(serial(listed));

    expect(await sshd.login(first.key)).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect(await sshd.login(second.key)).toMatchObject({ code: 0, stdout: 'ok\n' });

    await (
      await as(broker, 'alice')
    )
      .post(`/v1/grants/${first.minted.grantId}/revoke`, { reason: 'INC-7 done' })
      .expect(200);
    // Until sshd's copy of the KRL is refreshed, the certificate still works: that is the model.
    expect(await sshd.login(first.key)).toMatchObject({ code: 0 });
    const revocations = await krl();
    sshd.writeKrl(revocations);
    const checked = spawnQuiet('ssh-keygen', [
      '-Q',
      '-f',
      join(sshd.dir, 'revoked.krl'),
      `${first.key}-cert.pub`,
    ]);
    expect(checked).toContain('REVOKED');

    const refused = await sshd.login(first.key);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    expect(sshd.output()).toMatch(/revoked/i);
    expect(await sshd.login(second.key)).toMatchObject({ code: 0, stdout: 'ok\n' });
  });

  it('refuses the certificate once its grant has expired', async () => {
    const { key, minted } = await mint(await approved('3s'), 'short');
    expect(await sshd.login(key)).toMatchObject({ code: 0, stdout: 'ok\n' });
    await sleep(Math.max(0, Date.parse(minted.expiresAt) - Date.now()) + 1500);
    const refused = await sshd.login(key);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    expect(sshd.output()).toMatch(/expired/i);
  });

  it('refuses to extend an ssh grant when asked, before any approver is: 409 not_extendable, audited', async () => {
    const { minted } = await mint(await approved(), 'not-extendable');
    const alice = await as(broker, 'alice');
    const refused = await alice
      .post(`/v1/grants/${minted.grantId}/extend`, { duration: '10m', justification: 'INC-7' })
      .expect(409);
    expect(refused.body).toMatchObject({
      error: 'invalid_state',
      reason: 'not_extendable',
      message: 'a ssh grant cannot be extended: ask for a new grant',
    });
    const events = await auditTrail(broker, { type: 'grant.refused' });
    const ours = events.filter((event) => event.grantId === minted.grantId);
    expect(ours.map((event) => event.data)).toContainEqual(
      expect.objectContaining({ action: 'extend', reason: 'not_extendable' }),
    );
  });

  it('the CLI mints with --ssh-key: the certificate alone on stdout, which logs in saved beside the key', async () => {
    const key = newKeyPair(keys, 'cli');
    const requestId = await approved();

    const privateKey = await cli(['creds', requestId, '--ssh-key', key]);
    expect(privateKey).toMatchObject({ code: 2, stdout: '' });
    expect(privateKey.stderr).toContain('is a private key');
    const minted = await cli(['creds', requestId, '--ssh-key', `${key}.pub`]);
    expect(minted.code).toBe(0);
    expect(minted.stdout).toMatch(/^ssh-ed25519-cert-v01@openssh\.com \S+\n$/);
    expect(minted.stderr).toContain(`ssh uses it saved as ${key}-cert.pub`);
    writeFileSync(`${key}-cert.pub`, minted.stdout);
    expect(await sshd.login(key)).toMatchObject({ code: 0, stdout: 'ok\n' });
  });

  it('breaks the glass on an ssh role with a public key: a certificate at once; without one, a 400 and no request', async () => {
    const alice = await as(broker, 'alice');
    const body = { role: 'ssh-emergency', justification: 'INC-8: fleet down' };
    const missing = await alice.post('/v1/break-glass', body).expect(400);
    expect((missing.body as { fields: { field: string }[] }).fields).toEqual([
      { field: 'sshPublicKey', message: expect.any(String) },
    ]);
    expect(await auditTrail(broker, { type: 'break_glass.activated' })).toEqual([]);

    const key = newKeyPair(keys, 'emergency');
    const sshPublicKey = readFileSync(`${key}.pub`, 'utf8');
    const activated = await alice.post('/v1/break-glass', { ...body, sshPublicKey }).expect(201);
    const { credential } = activated.body as Minted;
    expect(credential.type).toBe('ssh-certificate');
    writeFileSync(`${key}-cert.pub`, `${credential.certificate}\n`);
    expect(await sshd.login(key)).toMatchObject({ code: 0, stdout: 'ok\n' });
    const listed = execFileSync('ssh-keygen', ['-L', '-f', `${key}-cert.pub`]).toString();
    expect(listed).toContain(`Key ID: "${(activated.body as Minted).grantId}"`);
    // This role grants no extension: a command runs, no terminal.
    expect(listed).toMatch(/Extensions: \(none\)/);
    // The CLI the same way, printing the certificate alone.
    const cliKey = newKeyPair(keys, 'emergency-cli');
    const viaCli = await cli([
      'break-glass',
      'activate',
      'ssh-emergency',
      '--reason',
      'INC-8: fleet down',
      '--ssh-key',
      `${cliKey}.pub`,
    ]);
    expect(viaCli.code).toBe(0);
    expect(viaCli.stderr).toContain(`ssh uses it saved as ${cliKey}-cert.pub`);
    writeFileSync(`${cliKey}-cert.pub`, viaCli.stdout);
    expect(await sshd.login(cliKey)).toMatchObject({ code: 0, stdout: 'ok\n' });
  });

  // Last: it changes the CA the tests above trust.
  it('rotates the CA: both keys published, new certificates signed by the new one, old ones still valid and revocable', async () => {
    const before = await mint(await approved(), 'before-rotation');
    const [oldKey] = (await caPublicKeys()).split('\n');
    const rotation = await rotateSshCaKey(broker.config);
    const published = (await caPublicKeys()).split('\n').filter(Boolean);
    expect(published).toHaveLength(2);
    expect(published[0]).toBe(oldKey);
    const fingerprint = (line: string) => fingerprintOf(keys, line);
    expect(fingerprint(published[1])).toBe(rotation.keyId);
    const events = await auditTrail(broker, { type: 'key.rotated' });
    expect(events.map((event) => event.data)).toContainEqual({
      purpose: 'ssh',
      keyId: rotation.keyId,
      previous: fingerprint(oldKey),
    });
    sshd.writeCaKeys(`${published.join('\n')}\n`);

    // Replicas (this broker too) move to the new key within their 10 s key cache.
    await sleep(10_500);
    const after = await mint(await approved(), 'after-rotation');
    const signer = (key: string) =>
      /Signing CA: ED25519 (\S+)/.exec(
        execFileSync('ssh-keygen', ['-L', '-f', `${key}-cert.pub`]).toString(),
      )?.[1];
    expect(signer(after.key)).toBe(rotation.keyId);
    expect(signer(before.key)).toBe(fingerprint(oldKey));
    expect(await sshd.login(after.key)).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect(await sshd.login(before.key)).toMatchObject({ code: 0, stdout: 'ok\n' });

    await (
      await as(broker, 'alice')
    )
      .post(`/v1/grants/${after.minted.grantId}/revoke`, { reason: 'INC-7 done' })
      .expect(200);
    sshd.writeKrl(await krl());
    expect((await sshd.login(after.key)).code).not.toBe(0);
    expect(await sshd.login(before.key)).toMatchObject({ code: 0, stdout: 'ok\n' });
  });
});

/** Output of a command that exits non-zero by design (ssh-keygen -Q on a revoked key). */
function spawnQuiet(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (error) {
    const { stdout, stderr } = error as { stdout: Buffer; stderr: Buffer };
    return `${stdout.toString()}${stderr.toString()}`;
  }
}

/** The SHA256 fingerprint ssh-keygen gives a public key line. */
function fingerprintOf(dir: string, line: string): string {
  const file = join(dir, 'fingerprinted.pub');
  writeFileSync(file, `${line}\n`);
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file]).toString().split(' ')[1];
}
