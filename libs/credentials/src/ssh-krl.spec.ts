import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sshpk from 'sshpk';
import type { SshCaKey } from './ssh-certificate.js';
import { signUserCertificate } from './ssh-certificate.js';
import { buildKrl } from './ssh-krl.js';

/** OpenSSH's own reading of the KRL and certificates this module writes (ssh-keygen -Q, -L). */
describe('buildKrl and signUserCertificate, read by ssh-keygen', () => {
  let dir: string;
  let subject: sshpk.Key;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'countersign-krl-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'user')]);
    subject = sshpk.parseKey(readFileSync(join(dir, 'user.pub'), 'utf8'), 'ssh');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function newCa(): SshCaKey {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const publicKey = sshpk.parsePrivateKey(pem, 'pkcs8').toPublic();
    return { kid: publicKey.fingerprint('sha256').toString(), privateKey, publicKey };
  }

  async function certificate(ca: SshCaKey, serial: bigint, name: string): Promise<string> {
    const now = Date.now();
    const text = await signUserCertificate(ca, subject, {
      keyId: name,
      serial,
      principals: ['deploy'],
      extensions: [],
      validAfter: new Date(now - 60_000),
      validBefore: new Date(now + 600_000),
    });
    const path = join(dir, `${name}-cert.pub`);
    writeFileSync(path, `${text}\n`);
    return path;
  }

  /** ssh-keygen -Q: whether the KRL revokes the certificate. */
  function revoked(krl: Buffer, cert: string): boolean {
    const path = join(dir, 'test.krl');
    writeFileSync(path, krl);
    try {
      execFileSync('ssh-keygen', ['-Q', '-f', path, cert], { stdio: 'pipe' });
      return false;
    } catch (error) {
      const output = String((error as { stdout: Buffer }).stdout);
      if (!output.includes('REVOKED')) throw error;
      return true;
    }
  }

  it('revokes exactly the listed serials of each CA key, nothing of another CA', async () => {
    const [first, second] = [newCa(), newCa()];
    const firstListed = await certificate(first, 7n, 'first-7');
    const firstOther = await certificate(first, 8n, 'first-8');
    const secondSameSerial = await certificate(second, 7n, 'second-7');
    const secondListed = await certificate(second, 2n ** 63n - 1n, 'second-max');
    const krl = buildKrl(
      [
        { caKey: first.publicKey.toBuffer('rfc4253'), serials: [9n, 7n, 7n] },
        { caKey: second.publicKey.toBuffer('rfc4253'), serials: [2n ** 63n - 1n] },
      ],
      1n,
      new Date(),
    );
    expect(revoked(krl, firstListed)).toBe(true);
    expect(revoked(krl, firstOther)).toBe(false);
    expect(revoked(krl, secondSameSerial)).toBe(false);
    expect(revoked(krl, secondListed)).toBe(true);
  });

  it('is a valid, empty list with nothing revoked', async () => {
    const ca = newCa();
    const cert = await certificate(ca, 1n, 'lone');
    const empty = buildKrl(
      [{ caKey: ca.publicKey.toBuffer('rfc4253'), serials: [] }],
      1n,
      new Date(),
    );
    expect(revoked(empty, cert)).toBe(false);
    expect(revoked(buildKrl([], 2n, new Date()), cert)).toBe(false);
  });

  it('signs what ssh-keygen reads back: key id, serial, principals, source-address', async () => {
    const ca = newCa();
    const text = await signUserCertificate(ca, subject, {
      keyId: 'grant-1',
      serial: 42n,
      principals: ['deploy', 'ops'],
      extensions: ['permit-pty'],
      sourceAddress: ['10.0.0.0/8'],
      validAfter: new Date('2030-01-01T00:00:00.900Z'),
      validBefore: new Date('2030-01-01T01:00:00.900Z'),
    });
    const path = join(dir, 'fields-cert.pub');
    writeFileSync(path, `${text}\n`);
    const listed = execFileSync('ssh-keygen', ['-L', '-f', path], {
      env: { ...process.env, TZ: 'UTC' },
    }).toString();
    expect(listed).toContain(`Signing CA: ED25519 ${ca.kid}`);
    expect(listed).toContain('Key ID: "grant-1"');
    expect(listed).toContain('Serial: 42');
    // Whole seconds, truncated: a certificate never outlives its grant.
    expect(listed).toContain('Valid: from 2030-01-01T00:00:00 to 2030-01-01T01:00:00');
    expect(listed).toMatch(/Principals: \n\s+deploy\n\s+ops\n/);
    expect(listed).toMatch(/Critical Options: \n\s+source-address 10\.0\.0\.0\/8\n/);
    expect(listed).toMatch(/Extensions: \n\s+permit-pty\n/);
  });
});
