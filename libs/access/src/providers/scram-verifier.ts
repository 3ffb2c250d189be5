import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802 / RFC 7677, in
 * PostgreSQL's `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` form). Sending this
 * instead of the password keeps the password itself out of the target's statement log, as psql's
 * `\password` does. Checked against PostgreSQL's own verifiers in the provider's tests.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  return scramVerifierWith(password, salt, ITERATIONS);
}

/** For ASCII passwords (ours are base64url), on which SASLprep changes nothing. */
export function scramVerifierWith(password: string, salt: Buffer, iterations: number): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest('base64');
  const serverKey = createHmac('sha256', salted).update('Server Key').digest('base64');
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey}:${serverKey}`;
}
