import sshpk from 'sshpk';

/** The smallest RSA modulus accepted: NIST's 128-bit security level. */
const MIN_RSA_BITS = 3072;

/**
 * The recipient's OpenSSH public key (`ssh-ed25519 AAAA... comment`), or what is wrong with it in
 * words fit for a 400 naming the field. Ed25519, ECDSA and RSA of 3072 bits or more; no DSA, no
 * certificate, one key only.
 */
export function parseSshPublicKey(text: string): sshpk.Key | string {
  const line = text.trim();
  if (line.includes('\n')) return 'must be one OpenSSH public key line';
  let key: sshpk.Key;
  try {
    key = sshpk.parseKey(line, 'ssh');
  } catch {
    return 'must be an OpenSSH public key (ssh-ed25519 AAAA...)';
  }
  if (key.type === 'rsa' && key.size < MIN_RSA_BITS)
    return `an RSA key must have at least ${MIN_RSA_BITS} bits`;
  if (key.type !== 'ed25519' && key.type !== 'ecdsa' && key.type !== 'rsa')
    return 'must be an Ed25519, ECDSA or RSA key';
  return key;
}
