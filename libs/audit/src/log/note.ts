/**
 * C2SP signed notes (c2sp.org/signed-note), Ed25519 only, as golang.org/x/mod/sumdb/note writes
 * and reads them: the log signs its checkpoints with these, and anyone holding the verifier key
 * can check them offline. Pure: node:crypto and strings, no I/O.
 */
import type { KeyObject } from 'node:crypto';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';

/** The signature type byte of Ed25519 in key ids and verifier keys. */
export const ED25519 = 0x01;
/** Bounds on what openNote reads; the spec asks verifiers to accept at least 16 signatures. */
export const MAX_NOTE_BYTES = 1 << 20;
export const MAX_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 '; // em dash, space
const ED25519_KEY_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;
// PKCS #8 DER of an Ed25519 private key, less its 32-byte seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export type NoteErrorCode =
  'malformed_note' | 'malformed_key' | 'invalid_signature' | 'unverified_note' | 'ambiguous_key';

export class NoteError extends Error {
  constructor(
    readonly code: NoteErrorCode,
    message: string,
    /** For unverified_note: the signatures present, none from a known key (after a rotation?). */
    readonly signatures: readonly NoteSignature[] = [],
  ) {
    super(message);
    this.name = 'NoteError';
  }
}

/** A known public key: what the vkey `<name>+<key id hex>+<base64(0x01 ‖ key)>` encodes. */
export interface NoteVerifier {
  readonly name: string;
  /** First 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ key), big-endian. */
  readonly keyId: number;
  readonly publicKey: KeyObject;
  readonly vkey: string;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly privateKey: KeyObject;
  readonly verifier: NoteVerifier;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** base64(key id ‖ signature), as on the signature line. */
  readonly base64: string;
}

export interface OpenedNote {
  /** The signed text, final newline included. */
  readonly text: string;
  /** Signatures verified by a given key, in note order, one per key. */
  readonly signatures: readonly NoteSignature[];
  /** Signatures from keys not given (witnesses, rotated keys), ignored as the spec requires. */
  readonly unverified: readonly NoteSignature[];
}

/** Non-empty, no Unicode white space, no '+', no control character (those cannot be in a note). */
export function isValidKeyName(name: string): boolean {
  return name !== '' && !/[\p{White_Space}\p{Cc}+]/u.test(name) && isWellFormed(name);
}

export function noteKeyId(name: string, rawPublicKey: Uint8Array): number {
  const digest = createHash('sha256')
    .update(`${name}\n`, 'utf8')
    .update(Uint8Array.of(ED25519))
    .update(rawPublicKey)
    .digest();
  return digest.readUInt32BE(0);
}

export function verifierFromPublicKey(name: string, key: KeyObject | Uint8Array): NoteVerifier {
  if (!isValidKeyName(name)) throw new NoteError('malformed_key', 'invalid key name');
  const publicKey = key instanceof Uint8Array ? importRawPublicKey(key) : key;
  if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ed25519') {
    throw new NoteError('malformed_key', 'not an Ed25519 public key');
  }
  const raw = rawPublicKey(publicKey);
  const keyId = noteKeyId(name, raw);
  const vkey = `${name}+${hex32(keyId)}+${Buffer.concat([Uint8Array.of(ED25519), raw]).toString('base64')}`;
  return { name, keyId, publicKey, vkey };
}

/** Parses `<name>+<8 hex digits>+<base64(0x01 ‖ 32-byte key)>`, checking the key id. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const [name, id, key] = cut(vkey, 2);
  const bytes = key === undefined ? undefined : decodeBase64(key);
  if (name === undefined || !isValidKeyName(name) || !isKeyIdHex(id)) {
    throw new NoteError('malformed_key', 'malformed verifier key');
  }
  if (bytes === undefined || bytes.length !== 1 + ED25519_KEY_BYTES || bytes[0] !== ED25519) {
    throw new NoteError('malformed_key', 'verifier key is not a 32-byte Ed25519 key');
  }
  const verifier = verifierFromPublicKey(name, bytes.subarray(1));
  if (verifier.keyId !== Number.parseInt(id, 16)) {
    throw new NoteError('malformed_key', 'verifier key id does not match its key');
  }
  return verifier;
}

export function signerFromPrivateKey(name: string, privateKey: KeyObject): NoteSigner {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new NoteError('malformed_key', 'not an Ed25519 private key');
  }
  const verifier = verifierFromPublicKey(name, createPublicKey(privateKey));
  return { name, keyId: verifier.keyId, privateKey, verifier };
}

/** From the 32-byte RFC 8032 seed (what Go's skey and most key stores hold). */
export function signerFromSeed(name: string, seed: Uint8Array): NoteSigner {
  if (seed.length !== ED25519_KEY_BYTES) {
    throw new NoteError('malformed_key', 'seed is not 32 bytes');
  }
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
  return signerFromPrivateKey(name, createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
}

export function generateSigner(name: string): NoteSigner {
  return signerFromPrivateKey(name, generateKeyPairSync('ed25519').privateKey);
}

/** Go's signer key `PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 ‖ seed)>`; a secret. */
export function parseSignerKey(skey: string): NoteSigner {
  const [p, k, name, id, key] = cut(skey, 4);
  const bytes = key === undefined ? undefined : decodeBase64(key);
  const malformed = new NoteError('malformed_key', 'malformed signer key');
  if (p !== 'PRIVATE' || k !== 'KEY' || name === undefined) throw malformed;
  if (!isKeyIdHex(id) || bytes?.length !== 1 + ED25519_KEY_BYTES || bytes[0] !== ED25519) {
    throw malformed;
  }
  const signer = signerFromSeed(name, bytes.subarray(1));
  if (signer.keyId !== Number.parseInt(id, 16)) {
    throw new NoteError('malformed_key', 'signer key id does not match its key');
  }
  return signer;
}

export function formatSignerKey(signer: NoteSigner): string {
  const jwk = signer.privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const key = Buffer.concat([Uint8Array.of(ED25519), seed]).toString('base64');
  return `PRIVATE+KEY+${signer.name}+${hex32(signer.keyId)}+${key}`;
}

/** `<text>\n— <name> <base64(key id ‖ signature)>\n`, one line per signer. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!text.endsWith('\n'))
    throw new NoteError('malformed_note', 'note text must end with a newline');
  if (!isWellFormed(text) || CONTROL.test(text)) {
    throw new NoteError('malformed_note', 'note text has a control character or invalid UTF-8');
  }
  if (signers.length === 0 || signers.length > MAX_SIGNATURES) {
    throw new NoteError('malformed_note', `a note needs 1 to ${MAX_SIGNATURES} signers`);
  }
  const message = Buffer.from(text, 'utf8');
  const lines = signers.map((signer) => {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(signer.keyId);
    const signature = sign(null, message, signer.privateKey);
    return `${SIGNATURE_PREFIX}${signer.name} ${Buffer.concat([id, signature]).toString('base64')}\n`;
  });
  const note = `${text}\n${lines.join('')}`;
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) {
    throw new NoteError('malformed_note', `a note is at most ${MAX_NOTE_BYTES} bytes`);
  }
  return note;
}

/**
 * Splits the note at its last blank line, verifies every signature of a given key (one that
 * fails refuses the whole note), keeps the others aside, and requires at least one verified.
 */
export function openNote(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
): OpenedNote {
  const message = decodeNote(note);
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed_note', 'no blank line before the signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) {
    throw new NoteError('malformed_note', 'signature lines must end with a newline');
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) {
    throw new NoteError('malformed_note', `more than ${MAX_SIGNATURES} signatures`);
  }
  const known = indexVerifiers(verifiers);
  const signed = Buffer.from(text, 'utf8');
  const signatures: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const { signature, bytes } = parseSignatureLine(line);
    const keyRef = `${signature.name}+${hex32(signature.keyId)}`;
    const verifier = known.get(keyRef);
    if (verifier === undefined) {
      if (!seen.has(line)) unverified.push(signature);
      seen.add(line);
      continue;
    }
    if (seen.has(keyRef)) continue;
    seen.add(keyRef);
    const sig = bytes.subarray(4);
    if (sig.length !== ED25519_SIGNATURE_BYTES || !verify(null, signed, verifier.publicKey, sig)) {
      throw new NoteError('invalid_signature', `invalid signature for key ${keyRef}`);
    }
    signatures.push(signature);
  }
  if (signatures.length === 0) {
    throw new NoteError('unverified_note', 'note has no signature from a known key', unverified);
  }
  return { text, signatures, unverified };
}

const CONTROL = /[\x00-\x09\x0b-\x1f]/; // eslint-disable-line no-control-regex
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeNote(note: string | Uint8Array): string {
  const size = typeof note === 'string' ? Buffer.byteLength(note, 'utf8') : note.length;
  if (size > MAX_NOTE_BYTES) throw new NoteError('malformed_note', 'note too large');
  let message: string;
  try {
    message = typeof note === 'string' ? note : UTF8.decode(note);
  } catch {
    throw new NoteError('malformed_note', 'note is not valid UTF-8');
  }
  if (!isWellFormed(message) || CONTROL.test(message)) {
    throw new NoteError('malformed_note', 'note has a control character or invalid UTF-8');
  }
  return message;
}

function parseSignatureLine(line: string): { signature: NoteSignature; bytes: Buffer } {
  const malformed = new NoteError('malformed_note', 'malformed signature line');
  if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed;
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = rest.slice(0, space);
  const base64 = rest.slice(space + 1);
  const bytes = space < 0 ? undefined : decodeBase64(base64);
  if (!isValidKeyName(name) || bytes === undefined || bytes.length < 5) throw malformed;
  return { signature: { name, keyId: bytes.readUInt32BE(0), base64 }, bytes };
}

function indexVerifiers(verifiers: readonly NoteVerifier[]): Map<string, NoteVerifier> {
  const known = new Map<string, NoteVerifier>();
  for (const verifier of verifiers) {
    const keyRef = `${verifier.name}+${hex32(verifier.keyId)}`;
    const other = known.get(keyRef);
    // Two keys under one name and id: whoever configured them cannot be trusted to mean either.
    if (other !== undefined && other.vkey !== verifier.vkey) {
      throw new NoteError('ambiguous_key', `ambiguous key ${keyRef}`);
    }
    known.set(keyRef, verifier);
  }
  return known;
}

/** Standard base64 with padding, canonical (no stray bits), or undefined. */
export function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function importRawPublicKey(raw: Uint8Array): KeyObject {
  if (raw.length !== ED25519_KEY_BYTES) throw new NoteError('malformed_key', 'key is not 32 bytes');
  const x = Buffer.from(raw).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

export function rawPublicKey(publicKey: KeyObject): Buffer {
  return Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
}

/** Splits at the first `count` '+' only: base64 key data may hold '+' too. */
function cut(key: string, count: number): string[] {
  const parts = key.split('+');
  return [...parts.slice(0, count), parts.slice(count).join('+')];
}

function isKeyIdHex(id: string | undefined): id is string {
  return id !== undefined && /^[0-9a-f]{8}$/.test(id);
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function isWellFormed(text: string): boolean {
  return !/\p{Surrogate}/u.test(text);
}
