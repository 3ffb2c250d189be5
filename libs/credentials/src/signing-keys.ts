import type { CryptoKey, JWK } from 'jose';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { DataSource, EntityManager } from 'typeorm';
import { IsNull } from 'typeorm';
import type { Clock } from '#domain';
import { SigningKeyRow } from '#persistence';
import type { KeyCipher } from './key-cipher.js';
import { sealPlaintextKeys } from './seal-plaintext.js';

export type SigningAlgorithm = 'EdDSA' | 'ES256';

export interface ActiveKey {
  kid: string;
  algorithm: SigningAlgorithm;
  privateKey: CryptoKey;
}

// Other replicas (or the rotation command) may change keys: re-read them at most this often.
// A credential signed with a just-retired key still verifies, as the retired key stays published.
const CACHE_MS = 10_000;

interface PublishedKey {
  jwk: JWK;
  /** Epoch ms after which it leaves JWKS; null while it signs. */
  publishUntil: number | null;
}

/** The credential signing keys: created on first start, rotated on demand, published in JWKS. */
export class SigningKeys {
  private active?: { key: ActiveKey; loadedAt: number };
  private published?: { keys: PublishedKey[]; loadedAt: number };

  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: KeyCipher,
    private readonly algorithm: SigningAlgorithm,
    private readonly clock: Clock,
  ) {}

  /** Creates the first key when none is active. Returns the kid of a created key, if any. */
  async ensureActiveKey(): Promise<string | undefined> {
    const current = await this.newestActiveRow();
    if (current) return undefined;
    return this.createKey();
  }

  /** Seals the signing keys a demo run left in the clear (`sealPlaintextKeys`). */
  async sealPlaintextKeys(manager: EntityManager = this.dataSource.manager): Promise<string[]> {
    const sealed = await sealPlaintextKeys(manager, SigningKeyRow, this.cipher);
    if (sealed.length > 0) this.active = undefined;
    return sealed;
  }

  /**
   * Adds a key that signs from now on and retires the previous ones; they stay in JWKS for
   * `longestLifetimeSeconds` (the longest credential they may have signed) and then drop out.
   */
  async rotate(longestLifetimeSeconds: number): Promise<{ kid: string; retired: string[] }> {
    const now = this.clock.now();
    const previous = await this.dataSource.manager.find(SigningKeyRow, {
      where: { retiredAt: IsNull() },
    });
    const kid = await this.createKey();
    const publishUntil = new Date(now.getTime() + longestLifetimeSeconds * 1000);
    for (const row of previous) {
      await this.dataSource.manager.update(
        SigningKeyRow,
        { kid: row.kid },
        { retiredAt: now, publishUntil },
      );
    }
    this.active = undefined;
    this.published = undefined;
    return { kid, retired: previous.map((row) => row.kid) };
  }

  async activeKey(): Promise<ActiveKey> {
    const nowMs = Date.now();
    if (this.active && nowMs - this.active.loadedAt < CACHE_MS) return this.active.key;
    const row = await this.newestActiveRow();
    if (!row) throw new Error('no active signing key');
    const jwk = JSON.parse(this.cipher.open(row.privateKey, row.encrypted, row.kid)) as JWK;
    const privateKey = (await importJWK(jwk, row.algorithm)) as CryptoKey;
    const key: ActiveKey = {
      kid: row.kid,
      algorithm: row.algorithm as SigningAlgorithm,
      privateKey,
    };
    this.active = { key, loadedAt: nowMs };
    return key;
  }

  /** The public keys a verifier needs: the active ones and retired ones still within their window. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const now = this.clock.now().getTime();
    const keys = (await this.publicKeys())
      .filter((key) => key.publishUntil === null || key.publishUntil > now)
      .map((key) => key.jwk);
    return { keys };
  }

  /**
   * Every public key that ever signed, retired or not: what approval receipts and evidence seals
   * verify against for as long as they are kept, long after a key has left JWKS. Safe to publish:
   * a key leaves JWKS only once every credential it signed has expired.
   */
  async evidenceKeys(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.publicKeys()).map((key) => key.jwk) };
  }

  /** Every key's public half, newest first, read at most every CACHE_MS (both routes are public). */
  private async publicKeys(): Promise<PublishedKey[]> {
    const nowMs = Date.now();
    if (this.published && nowMs - this.published.loadedAt < CACHE_MS) return this.published.keys;
    const rows = await this.dataSource.manager.find(SigningKeyRow, {
      order: { createdAt: 'DESC' },
    });
    const keys = rows.map((row) => ({
      jwk: JSON.parse(row.publicJwk) as JWK,
      publishUntil: row.publishUntil?.getTime() ?? null,
    }));
    this.published = { keys, loadedAt: nowMs };
    return keys;
  }

  private async newestActiveRow(): Promise<SigningKeyRow | null> {
    return this.dataSource.manager.findOne(SigningKeyRow, {
      where: { retiredAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
  }

  private async createKey(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(this.algorithm, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const published: JWK = { ...publicJwk, kid, alg: this.algorithm, use: 'sig' };
    const privateJwk = JSON.stringify(await exportJWK(privateKey));
    await this.dataSource.manager.insert(SigningKeyRow, {
      kid,
      algorithm: this.algorithm,
      publicJwk: JSON.stringify(published),
      privateKey: this.cipher.seal(privateJwk, kid),
      encrypted: this.cipher.encrypts,
      createdAt: this.clock.now(),
      retiredAt: null,
      publishUntil: null,
    });
    return kid;
  }
}
