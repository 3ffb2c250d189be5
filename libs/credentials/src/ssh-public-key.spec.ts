import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSshPublicKey } from './ssh-public-key.js';

describe('parseSshPublicKey', () => {
  let dir: string;
  let made = 0;
  const publicKey = (type: string, bits?: number) => {
    made += 1;
    const path = join(dir, `${type}-${made}`);
    const size = bits === undefined ? [] : ['-b', String(bits)];
    execFileSync('ssh-keygen', ['-q', '-t', type, ...size, '-N', '', '-C', 'me@host', '-f', path]);
    return readFileSync(`${path}.pub`, 'utf8');
  };

  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'countersign-pubkey-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['Ed25519', 'ed25519', undefined],
    ['ECDSA P-256', 'ecdsa', 256],
    ['RSA 3072', 'rsa', 3072],
  ])('accepts %s, with its comment and trailing newline', (_name, type, bits) => {
    expect(typeof parseSshPublicKey(publicKey(type, bits))).toBe('object');
  });

  it.each([
    ['RSA 2048', () => publicKey('rsa', 2048), 'at least 3072 bits'],
    ['two keys', () => `${publicKey('ed25519')}${publicKey('ed25519')}`, 'one OpenSSH public key'],
    ['garbage', () => 'ssh-ed25519 not-base64!', 'an OpenSSH public key'],
    [
      'a private key',
      () => {
        publicKey('ed25519');
        return readFileSync(join(dir, `ed25519-${made}`), 'utf8');
      },
      'one OpenSSH',
    ],
  ])('refuses %s, saying why', (_name, text, why) => {
    const result = parseSshPublicKey(text());
    expect(typeof result).toBe('string');
    expect(result).toContain(why);
  });
});
