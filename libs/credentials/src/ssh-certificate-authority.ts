import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import sshpk from 'sshpk';
import type { EntityManager } from 'typeorm';
import type { AuditLog } from '#audit';
import type { Clock } from '#domain';
import { SshCaKeyRow } from '#persistence';
import type { KeyCipher } from './key-cipher.js';
import { sealPlaintextKeys } from './seal-plaintext.js';
import type { SshCaKey } from './ssh-certificate.js';

// Like the other keys: another replica may add one (rotation), so re-read at most this often.
const CACHE_MS = 10_000;
const FIRST_GENERATION = 1;
const COMMENT = 'countersign-ssh-ca';

/** A CA public key as published, with when the next generation replaced it (null: it signs). */
export interface SshCaPublicKey {
  kid: string;
  publicKey: string;
  retiredAt: Date | null;
}

/**
 * The SSH user certificate authority (docs/providers.md "SSH certificates"): an Ed25519 key made
 * on first use, its private half (PKCS#8 PEM) sealed at rest like the signing keys, `key.created`
 * {purpose: ssh} recorded. The newest generation signs; a rotation adds one, and the earlier keys
 * stay published while certificates they signed may live (SshAccess decides how long).
 */
export class SshCertificateAuthority {
  private current?: { key: SshCaKey; loadedAt: number };

  constructor(
    private readonly cipher: KeyCipher,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** The key that signs now, made if there is none yet (in `tx`, a UnitOfWork transaction). */
  async signingKey(tx: EntityManager): Promise<SshCaKey> {
    const nowMs = Date.now();
    if (this.current && nowMs - this.current.loadedAt < CACHE_MS) return this.current.key;
    const existing = await newestRow(tx);
    const row = existing ?? (await this.createFirstKey(tx));
    const pem = this.cipher.open(row.privateKey, row.encrypted, row.kid);
    const key: SshCaKey = {
      kid: row.kid,
      privateKey: createPrivateKey(pem),
      publicKey: sshpk.parseKey(row.publicKey, 'ssh'),
    };
    if (key.publicKey.fingerprint('sha256').toString() !== row.kid)
      throw new Error(`ssh CA key ${row.kid} does not match its public key`);
    // A key made in this transaction is not cached: if the transaction rolls back, it never was.
    if (existing) this.current = { key, loadedAt: nowMs };
    return key;
  }

  /** Makes the first key if there is none (in `tx`, a UnitOfWork transaction). */
  async ensureKey(tx: EntityManager): Promise<void> {
    if (!(await newestRow(tx))) await this.createFirstKey(tx);
  }

  /** Every CA public key, oldest first; none before the first use. */
  async publicKeys(manager: EntityManager): Promise<SshCaPublicKey[]> {
    const rows = await manager.find(SshCaKeyRow, { order: { generation: 'ASC' } });
    return rows.map((row, at) => ({
      kid: row.kid,
      publicKey: row.publicKey,
      retiredAt: rows[at + 1]?.createdAt ?? null,
    }));
  }

  /**
   * Adds a key that signs from now on (`npm run keys:rotate -- --ssh`), recorded as `key.rotated`
   * {purpose: ssh}. Two rotations at once: the unique generation fails one of them. Other
   * replicas move to it within their 10 s cache.
   */
  async rotate(tx: EntityManager): Promise<{ keyId: string; previous?: string }> {
    const newest = await newestRow(tx);
    const row = this.newKeyRow((newest?.generation ?? 0) + 1);
    await tx.insert(SshCaKeyRow, row);
    await this.audit.append(tx, {
      type: 'key.rotated',
      actor: 'system',
      data: { purpose: 'ssh', keyId: row.kid, previous: newest?.kid ?? null },
    });
    this.current = undefined;
    return { keyId: row.kid, ...(newest ? { previous: newest.kid } : {}) };
  }

  /** Seals the CA keys a demo run left in the clear (`sealPlaintextKeys`). */
  async sealPlaintextKeys(tx: EntityManager): Promise<string[]> {
    const sealed = await sealPlaintextKeys(tx, SshCaKeyRow, this.cipher);
    if (sealed.length > 0) this.current = undefined;
    return sealed;
  }

  /**
   * Two brokers making the first key at once both insert generation 1; the unique generation
   * makes one insert a no-op, both go on with the one kept, and only its maker records it.
   */
  private async createFirstKey(tx: EntityManager): Promise<SshCaKeyRow> {
    const row = this.newKeyRow(FIRST_GENERATION);
    await tx.createQueryBuilder().insert().into(SshCaKeyRow).values(row).orIgnore().execute();
    const kept = await newestRow(tx);
    if (!kept) throw new Error('no ssh CA key after creating one');
    if (kept.kid === row.kid) {
      await this.audit.append(tx, {
        type: 'key.created',
        actor: 'system',
        data: { purpose: 'ssh', keyId: row.kid },
      });
    }
    return kept;
  }

  private newKeyRow(generation: number): SshCaKeyRow {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const publicKey = sshpk.parsePrivateKey(pem, 'pkcs8').toPublic();
    publicKey.comment = COMMENT;
    const kid = publicKey.fingerprint('sha256').toString();
    return Object.assign(new SshCaKeyRow(), {
      kid,
      generation,
      publicKey: publicKey.toString('ssh'),
      privateKey: this.cipher.seal(pem, kid),
      encrypted: this.cipher.encrypts,
      createdAt: this.clock.now(),
    });
  }
}

function newestRow(tx: EntityManager): Promise<SshCaKeyRow | null> {
  return tx.findOne(SshCaKeyRow, { where: {}, order: { generation: 'DESC' } });
}
