import { randomBytes } from 'node:crypto';
import { parseSshPublicKey, signUserCertificate } from '#credentials';
import type { ProviderDefinition } from '#domain';
import type { GrantRow, Tx } from '#persistence';
import { SshCertificateRow } from '#persistence';
import type { CredentialProvider, GrantContext, IssuedCredential } from './credential-provider.js';
import { ProviderError } from './credential-provider.js';

export type SshSettings = Extract<ProviderDefinition, { type: 'ssh' }>;

/** How long before the grant a certificate is already valid: clocks of servers drift. */
const CLOCK_SKEW_MS = 60_000;

/**
 * An OpenSSH user certificate per grant (docs/providers.md "SSH certificates"), signed by the
 * broker's CA for the recipient's public key: key id the grant id, a unique serial, the role's
 * principals and extensions, valid until the grant ends. Nothing is opened at a target, so nothing
 * is closed there: early revocation puts the serial in the KRL (GET /v1/ssh/krl, built from the
 * grants' status), expiry is the certificate's own. No `extend`: a certificate's validity cannot
 * move, so the recipient asks for a new grant.
 */
export class SshProvider implements CredentialProvider {
  readonly type = 'ssh';

  constructor(private readonly settings: SshSettings) {}

  async grant(grant: GrantRow, context: GrantContext): Promise<IssuedCredential> {
    const text = context.mint.sshPublicKey;
    // The mint checks the key before this; these guard against a caller that did not.
    if (text === undefined) throw new ProviderError('ssh: the mint carried no sshPublicKey');
    const subject = parseSshPublicKey(text);
    if (typeof subject === 'string') throw new ProviderError(`ssh: sshPublicKey ${subject}`);
    const ca = await context.sshAuthority.signingKey(context.tx);
    const serial = await unusedSerial(context.tx);
    const certificate = await signUserCertificate(ca, subject, {
      keyId: grant.id,
      serial,
      principals: this.settings.principals,
      extensions: this.settings.extensions,
      ...(this.settings.sourceAddress ? { sourceAddress: this.settings.sourceAddress } : {}),
      validAfter: new Date(grant.issuedAt.getTime() - CLOCK_SKEW_MS),
      validBefore: grant.expiresAt,
    });
    // The grant id is the idempotency key: granting it again replaces its certificate's record.
    await context.tx.delete(SshCertificateRow, { grantId: grant.id });
    await context.tx.insert(SshCertificateRow, {
      grantId: grant.id,
      serial: serial.toString(),
      caKid: ca.kid,
      validUntil: grant.expiresAt,
    });
    return { credential: { type: 'ssh-certificate', certificate } };
  }

  /** Nothing to close at a target: a revoked grant's serial is in the KRL from its next fetch. */
  revoke(): Promise<void> {
    return Promise.resolve();
  }

  /** Certificates live with their holders: there is nothing at a target to list. */
  listLive(): Promise<[]> {
    return Promise.resolve([]);
  }
}

/** A random non-zero serial below 2^63 (KRLs cannot name 0) that no certificate has yet. */
async function unusedSerial(tx: Tx): Promise<bigint> {
  for (;;) {
    const serial = randomBytes(8).readBigUInt64BE() >> 1n;
    if (serial === 0n) continue;
    const taken = await tx.existsBy(SshCertificateRow, { serial: serial.toString() });
    if (!taken) return serial;
  }
}
