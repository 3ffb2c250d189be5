import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Seals signing keys at rest with AES-256-GCM under COUNTERSIGN_ENCRYPTION_KEY. The key id is
 * bound as additional data so a sealed key cannot be swapped onto another row. Without an
 * encryption key (demo config only) keys are stored in the clear, and the broker says so.
 */
export class KeyCipher {
  constructor(private readonly key: Buffer | undefined) {
    if (key && key.length !== 32) throw new Error('the encryption key must be 32 bytes');
  }

  get encrypts(): boolean {
    return this.key !== undefined;
  }

  seal(plaintext: string, kid: string): string {
    if (!this.key) return plaintext;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(kid));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), body]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(sealed: string, encrypted: boolean, kid: string): string {
    if (!encrypted) return sealed;
    if (!this.key)
      throw new Error(`signing key ${kid} is encrypted and COUNTERSIGN_ENCRYPTION_KEY is not set`);
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || !body)
      throw new Error(`signing key ${kid} has an unknown format`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(kid));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(body, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }
}
