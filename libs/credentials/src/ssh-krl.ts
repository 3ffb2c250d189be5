/** The revoked certificates of one CA key. */
export interface RevokedSerials {
  /** The CA's public key blob (RFC 4253 wire form). */
  caKey: Buffer;
  serials: readonly bigint[];
}

const KRL_MAGIC = Buffer.from('SSHKRL\n\0', 'latin1');
const KRL_FORMAT_VERSION = 1;
const KRL_SECTION_CERTIFICATES = 1;
const KRL_SECTION_CERT_SERIAL_LIST = 0x20;

/**
 * An OpenSSH key revocation list (PROTOCOL.krl), unsigned: the header, then per CA key a
 * certificates section listing revoked serials in ascending order. sshd reads it from
 * `RevokedKeys`; `ssh-keygen -Q -f krl cert` tests a certificate against it.
 */
export function buildKrl(
  revoked: readonly RevokedSerials[],
  version: bigint,
  generatedAt: Date,
): Buffer {
  const parts: Buffer[] = [
    KRL_MAGIC,
    uint32(KRL_FORMAT_VERSION),
    uint64(version),
    uint64(BigInt(Math.floor(generatedAt.getTime() / 1000))),
    uint64(0n), // flags
    sshString(Buffer.alloc(0)), // reserved
    sshString(Buffer.from('countersign')), // comment
  ];
  for (const { caKey, serials } of revoked) {
    if (serials.length === 0) continue;
    const sorted = [...new Set(serials)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const list = Buffer.concat(sorted.map(uint64));
    const section = Buffer.concat([
      sshString(caKey),
      sshString(Buffer.alloc(0)), // reserved
      Buffer.from([KRL_SECTION_CERT_SERIAL_LIST]),
      sshString(list),
    ]);
    parts.push(Buffer.from([KRL_SECTION_CERTIFICATES]), sshString(section));
  }
  return Buffer.concat(parts);
}

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

function uint64(value: bigint): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(value);
  return buffer;
}

function sshString(bytes: Buffer): Buffer {
  return Buffer.concat([uint32(bytes.length), bytes]);
}
