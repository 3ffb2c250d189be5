import { randomBytes } from 'node:crypto';
import { KeyCipher } from './key-cipher.js';

describe('KeyCipher', () => {
  const key = randomBytes(32);
  const cipher = new KeyCipher(key);

  it('round-trips and never stores the plaintext', () => {
    const sealed = cipher.seal('{"d":"secret-material"}', 'kid-1');
    expect(sealed).not.toContain('secret-material');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(cipher.open(sealed, true, 'kid-1')).toBe('{"d":"secret-material"}');
  });

  it('uses a fresh IV each time', () => {
    expect(cipher.seal('same', 'kid')).not.toBe(cipher.seal('same', 'kid'));
  });

  it.each([
    ['another key id (the row was swapped)', (s: string) => s, 'kid-2', key],
    [
      'a flipped ciphertext byte',
      (s: string) => {
        // The last byte of the ciphertext (the body, after the last '.'), changed for certain: a
        // replaced base64 character could leave it as it was (1 run in 4096 did).
        const at = s.lastIndexOf('.') + 1;
        const body = Buffer.from(s.slice(at), 'base64url');
        body[body.length - 1] ^= 0x01;
        return s.slice(0, at) + body.toString('base64url');
      },
      'kid-1',
      key,
    ],
    ['another encryption key', (s: string) => s, 'kid-1', randomBytes(32)],
  ])('refuses to open with %s', (_case, mutate, kid, openKey) => {
    const sealed = mutate(cipher.seal('{"d":"x"}', 'kid-1'));
    expect(() => new KeyCipher(openKey).open(sealed, true, kid)).toThrow();
  });

  it('without a key stores plainly (demo only) and refuses encrypted rows', () => {
    const plain = new KeyCipher(undefined);
    expect(plain.encrypts).toBe(false);
    expect(plain.seal('x', 'k')).toBe('x');
    expect(() => plain.open(cipher.seal('x', 'k'), true, 'k')).toThrow(
      'COUNTERSIGN_ENCRYPTION_KEY is not set',
    );
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => new KeyCipher(randomBytes(16))).toThrow('32 bytes');
  });
});
