import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import sshpk from 'sshpk';
import type { EntityManager } from 'typeorm';
import type { Clock } from '#domain';
import { SshCaKeyRow } from '#persistence';
import type { KeyCipher } from './key-cipher.js';
import type { SshCaKey } from './ssh-certificate.js';

// Like the other keys: another replica may add one, so re-read at most this often.
const CACHE_MS = 10_000;
const FIRST_GENERATION = 1;
const COMMENT = 'countersign-ssh-ca';

/**
 * The SSH user certificate authority (docs/providers.md "SSH certificates"): an Ed25519 key made
 * on first use, its private half (PKCS#8 PEM) sealed at rest like the signing keys. The newest
 * generation signs; every generation's public key is published, as sshd's TrustedUserCAKeys.
 */
export class SshCertificateAuthority {
  private current?: { key: SshCaKey; loadedAt: number };

  constructor(
    private readonly cipher: KeyCipher,
    private readonly clock: Clock,
  ) {}

  /** The key that signs now, made if there is none yet (in `manager`'s transaction). */
  async signingKey(manager: EntityManager): Promise<SshCaKey> {
    const nowMs = Date.now();
    if (this.current && nowMs - this.current.loadedAt < CACHE_MS) return this.current.key;
    const row = (await newestRow(manager)) ?? (await this.createFirstKey(manager));
    const pem = this.cipher.open(row.privateKey, row.encrypted, row.kid);
    const key: SshCaKey = {
      kid: row.kid,
      privateKey: createPrivateKey(pem),
      publicKey: sshpk.parseKey(row.publicKey, 'ssh'),
    };
    if (key.publicKey.fingerprint('sha256').toString() !== row.kid)
      throw new Error(`ssh CA key ${row.kid} does not match its public key`);
    this.current = { key, loadedAt: nowMs };
    return key;
  }

  /** Every CA public key, oldest first, as OpenSSH lines; the first is made if there is none. */
  async publicKeys(manager: EntityManager): Promise<{ kid: string; publicKey: string }[]> {
    if (!(await newestRow(manager))) await this.createFirstKey(manager);
    const rows = await manager.find(SshCaKeyRow, { order: { generation: 'ASC' } });
    return rows.map((row) => ({ kid: row.kid, publicKey: row.publicKey }));
  }

  /**
   * Two brokers making the first key at once both insert generation 1; the unique generation
   * makes one insert a no-op, and both go on with the one that was kept.
   */
  private async createFirstKey(manager: EntityManager): Promise<SshCaKeyRow> {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const publicKey = sshpk.parsePrivateKey(pem, 'pkcs8').toPublic();
    publicKey.comment = COMMENT;
    const kid = publicKey.fingerprint('sha256').toString();
    await manager
      .createQueryBuilder()
      .insert()
      .into(SshCaKeyRow)
      .values({
        kid,
        generation: FIRST_GENERATION,
        publicKey: publicKey.toString('ssh'),
        privateKey: this.cipher.seal(pem, kid),
        encrypted: this.cipher.encrypts,
        createdAt: this.clock.now(),
      })
      .orIgnore()
      .execute();
    const kept = await newestRow(manager);
    if (!kept) throw new Error('no ssh CA key after creating one');
    return kept;
  }
}

function newestRow(manager: EntityManager): Promise<SshCaKeyRow | null> {
  return manager.findOne(SshCaKeyRow, { where: {}, order: { generation: 'DESC' } });
}
