import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { DataSource, EntityManager } from 'typeorm';
import type { NoteSigner, NoteVerifier } from '#audit';
import { rawPublicKey, signerFromSeed, verifierFromPublicKey } from '#audit';
import type { Clock } from '#domain';
import { LogKeyRow } from '#persistence';
import type { KeyCipher } from './key-cipher.js';
import { sealPlaintextKeys } from './seal-plaintext.js';

// Like the signing keys: another replica may add a key (rotation), so re-read at most this often.
const CACHE_MS = 10_000;
const FIRST_GENERATION = 1;

/**
 * The transparency log's Ed25519 key: created on first start, its private half (the
 * 32-byte seed) sealed at rest like the signing keys, its note name the log's origin
 * (`audit.origin`). Publishes the note verifier key `<origin>+<key id>+<base64(0x01 ‖ key)>`.
 */
export class LogKeys {
  private current?: { signer: NoteSigner; kid: string; loadedAt: number };

  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: KeyCipher,
    /** The log's origin: the key's note name. */
    private readonly origin: string,
    private readonly clock: Clock,
  ) {}

  /**
   * Creates the first key when there is none. Two brokers starting together both insert the first
   * generation; the unique `generation` makes one insert a no-op, so exactly one key exists and
   * only the broker whose key it is returns its kid (to record `key.created`).
   */
  async ensureKey(): Promise<string | undefined> {
    if (await this.newestRow()) return undefined;
    const row = await this.newKeyRow(FIRST_GENERATION);
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(LogKeyRow)
      .values(row)
      .orIgnore()
      .execute();
    const winner = await this.dataSource.manager.findOneBy(LogKeyRow, {
      generation: FIRST_GENERATION,
    });
    return winner?.kid === row.kid ? row.kid : undefined;
  }

  /**
   * Adds a key that signs checkpoints from now on (`npm run keys:rotate -- --log`). Earlier keys
   * stay: checkpoints they signed still verify (`verifiers()`, `GET /.well-known/countersign-log-keys`).
   * Two rotations at once: the unique generation fails one of them. Other replicas move to the
   * new key within their 10 s cache; a checkpoint signed meanwhile with the previous key verifies.
   */
  async rotate(tx: EntityManager): Promise<{ keyId: string; previous?: string }> {
    const newest = await tx.findOne(LogKeyRow, { where: {}, order: { generation: 'DESC' } });
    const row = await this.newKeyRow((newest?.generation ?? 0) + 1);
    await tx.insert(LogKeyRow, row);
    this.current = undefined;
    return { keyId: row.kid, ...(newest ? { previous: newest.kid } : {}) };
  }

  private async newKeyRow(generation: number): Promise<LogKeyRow> {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const publicJwk = publicKey.export({ format: 'jwk' });
    const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: publicJwk.x });
    const seed = privateKey.export({ format: 'jwk' }).d ?? '';
    return Object.assign(new LogKeyRow(), {
      kid,
      generation,
      publicKey: Buffer.from(publicJwk.x ?? '', 'base64url').toString('base64'),
      privateKey: this.cipher.seal(seed, kid),
      encrypted: this.cipher.encrypts,
      createdAt: this.clock.now(),
    });
  }

  /** Seals the log key a demo run left in the clear (`sealPlaintextKeys`). */
  async sealPlaintextKeys(manager: EntityManager = this.dataSource.manager): Promise<string[]> {
    const sealed = await sealPlaintextKeys(manager, LogKeyRow, this.cipher);
    if (sealed.length > 0) this.current = undefined;
    return sealed;
  }

  /** The note verifier key (public), `<origin>+<8 hex digits>+<base64>`. */
  async verifierKey(): Promise<string> {
    return (await this.signer()).verifier.vkey;
  }

  /** Every log key's verifier key, oldest first. */
  async verifierKeys(): Promise<string[]> {
    return (await this.verifiers()).map((verifier) => verifier.vkey);
  }

  /** Signs notes (checkpoints) as the log. */
  async signer(): Promise<NoteSigner> {
    const signer = await this.signerIfCreated();
    if (!signer) throw new Error('no log key');
    return signer;
  }

  /**
   * The signer, or undefined before a broker has created the first key (a worker started
   * first integrates events but signs no checkpoint until then).
   */
  async signerIfCreated(): Promise<NoteSigner | undefined> {
    const nowMs = Date.now();
    if (this.current && nowMs - this.current.loadedAt < CACHE_MS) return this.current.signer;
    const row = await this.newestRow();
    if (!row) return undefined;
    const seed = Buffer.from(this.cipher.open(row.privateKey, row.encrypted, row.kid), 'base64url');
    const signer = signerFromSeed(this.origin, seed);
    if (rawPublicKey(signer.verifier.publicKey).toString('base64') !== row.publicKey) {
      throw new Error(`log key ${row.kid} does not match its public key`);
    }
    this.current = { signer, kid: row.kid, loadedAt: nowMs };
    return signer;
  }

  /** Every log key's verifier, oldest first: checkpoints signed before a rotation still verify. */
  async verifiers(): Promise<NoteVerifier[]> {
    const rows = await this.dataSource.manager.find(LogKeyRow, { order: { generation: 'ASC' } });
    return rows.map((row) =>
      verifierFromPublicKey(this.origin, Buffer.from(row.publicKey, 'base64')),
    );
  }

  private async newestRow(): Promise<LogKeyRow | null> {
    return this.dataSource.manager.findOne(LogKeyRow, {
      where: {},
      order: { generation: 'DESC' },
    });
  }
}
