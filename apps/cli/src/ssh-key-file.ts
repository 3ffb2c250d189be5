import { readFile } from 'node:fs/promises';
import { usageError } from './exit-codes.js';

/** `--ssh-key <file>`: the OpenSSH public key to certify, read from its file (never a private key). */
export async function publicKeyAt(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw usageError(
      `cannot read ${path}`,
      'give the public key file, such as ~/.ssh/id_ed25519.pub',
    );
  }
  if (text.includes('PRIVATE KEY'))
    throw usageError(`${path} is a private key`, 'give its .pub file: the key never leaves you');
  return text;
}

/** Where ssh looks for a key's certificate: `id_ed25519.pub` -> `id_ed25519-cert.pub`. */
export function certificatePath(publicKeyPath: string): string {
  return `${publicKeyPath.replace(/\.pub$/, '')}-cert.pub`;
}
