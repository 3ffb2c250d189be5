import type { KeyObject } from 'node:crypto';
import { sign } from 'node:crypto';
import sshpk from 'sshpk';

/** What an OpenSSH user certificate says (PROTOCOL.certkeys). */
export interface UserCertificateFields {
  keyId: string;
  /** Non-zero, below 2^64: what a KRL names to revoke it. */
  serial: bigint;
  principals: readonly string[];
  /** Flag extensions (`permit-pty`), in lexical order. */
  extensions: readonly string[];
  /** The `source-address` critical option, when the certificate is bound to addresses. */
  sourceAddress?: readonly string[];
  validAfter: Date;
  validBefore: Date;
}

/** The CA's key: its private half signs (node:crypto), its public half goes into the certificate. */
export interface SshCaKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: sshpk.Key;
}

/**
 * Issues an OpenSSH user certificate for `subject`, one line (`ssh-ed25519-cert-v01@openssh.com
 * AAAA...`). sshpk lays the certificate out; the signature over it is node:crypto's Ed25519.
 */
export async function signUserCertificate(
  ca: SshCaKey,
  subject: sshpk.Key,
  fields: UserCertificateFields,
): Promise<string> {
  const serial = Buffer.alloc(8);
  serial.writeBigUInt64BE(fields.serial);
  const critical = fields.sourceAddress
    ? [{ critical: true, name: 'source-address', data: sshString(fields.sourceAddress.join(',')) }]
    : [];
  // A flag extension carries empty data.
  const flags = fields.extensions.map((name) => ({ critical: false, name, data: Buffer.alloc(0) }));
  // sshpk's typings ask for an x509 signature as well; an OpenSSH certificate has none.
  const certificate = new sshpk.Certificate({
    subjects: fields.principals.map((principal) => sshpk.identityForUser(principal)),
    subjectKey: subject,
    issuer: sshpk.identityForUser('countersign'),
    issuerKey: ca.publicKey,
    signatures: { openssh: { keyId: fields.keyId, exts: [...critical, ...flags] } },
    serial,
    validFrom: wholeSeconds(fields.validAfter),
    validUntil: wholeSeconds(fields.validBefore),
    purposes: ['clientAuth'],
  } as unknown as sshpk.CertificateOptions);
  await new Promise<void>((resolve, reject) => {
    const format = sshpk.Certificate.formats.openssh as unknown as OpensshCertFormat;
    format.signAsync(
      certificate,
      (blob, done) =>
        done(null, sshpk.parseSignature(sign(null, blob, ca.privateKey), 'ed25519', 'raw')),
      (error) => (error ? reject(error) : resolve()),
    );
  });
  return certificate.toString('openssh');
}

/** sshpk's OpenSSH certificate format, whose asynchronous signing takes any signer. */
interface OpensshCertFormat {
  signAsync(
    certificate: sshpk.Certificate,
    signer: (blob: Buffer, done: (error: Error | null, signature: sshpk.Signature) => void) => void,
    done: (error?: Error) => void,
  ): void;
}

/** An SSH `string`: uint32 length, then the bytes (RFC 4251 §5). */
function sshString(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** Certificates count in whole seconds: truncated, so validity never ends after the grant. */
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
