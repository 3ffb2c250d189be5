import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import type { NoteErrorCode, NoteVerifier } from './note.js';
import {
  MAX_NOTE_BYTES,
  NoteError,
  formatSignerKey,
  generateSigner,
  isValidKeyName,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  signerFromPrivateKey,
  verifierFromPublicKey,
} from './note.js';

// Vectors from golang.org/x/mod/sumdb/note (note.go and note_test.go).
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n";
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';
const peterSignature = {
  name: 'PeterNeumann',
  keyId: 0xc74f20a3,
  base64: PETER_SIG.slice(15, -1),
};
const enochSignature = { name: 'EnochRoot', keyId: 0xaf0cfe78, base64: ENOCH_SIG.slice(12, -1) };

const peter = parseVerifierKey(PETER_VKEY);
const enoch = parseVerifierKey(ENOCH_VKEY);

function refusal(run: () => unknown): NoteError {
  try {
    run();
  } catch (error) {
    if (error instanceof NoteError) return error;
    throw error;
  }
  throw new Error('expected a NoteError');
}

/** The note with its last signature's bytes written back by `write`. */
function reencode(note: string, write: (bytes: Buffer) => string): string {
  const space = note.lastIndexOf(' ');
  return `${note.slice(0, space + 1)}${write(Buffer.from(note.slice(space + 1, -1), 'base64'))}\n`;
}

const codeOf = (run: () => unknown): NoteErrorCode => refusal(run).code;

/** The published vkey read without note.ts: SPKI DER prefix ‖ the 32 key bytes. */
function publicKeyFromVkey(vkey: string) {
  const [, name, id, key] = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey)!;
  const bytes = Buffer.from(key, 'base64');
  expect(bytes[0]).toBe(0x01);
  const digest = createHash('sha256').update(`${name}\n`).update(bytes).digest();
  expect(digest.subarray(0, 4).toString('hex')).toBe(id);
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), bytes.subarray(1)]);
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

describe('verifier keys', () => {
  it("reads Go's vkey: name, key id, and the same string back", () => {
    expect(peter.name).toBe('PeterNeumann');
    expect(peter.keyId).toBe(0xc74f20a3);
    expect(peter.vkey).toBe(PETER_VKEY);
    expect(verifierFromPublicKey('PeterNeumann', peter.publicKey).vkey).toBe(PETER_VKEY);
  });

  it('refuses every substring and every one-byte change of a vkey (as Go tests it)', () => {
    const accepted: string[] = [];
    const tryKey = (k: string) => {
      try {
        parseVerifierKey(k);
        accepted.push(k);
      } catch (error) {
        expect((error as NoteError).code).toBe('malformed_key');
      }
    };
    for (let i = 0; i <= PETER_VKEY.length; i++) {
      for (let j = i + 1; j <= PETER_VKEY.length; j++) {
        if (i !== 0 || j !== PETER_VKEY.length) tryKey(PETER_VKEY.slice(i, j));
      }
    }
    for (let i = 0; i < PETER_VKEY.length; i++) {
      const changed = String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1);
      tryKey(PETER_VKEY.slice(0, i) + changed + PETER_VKEY.slice(i + 1));
    }
    // Wrong key length and unknown algorithm, each with its key id adjusted.
    tryKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==');
    tryKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
    expect(accepted).toEqual([]);
  });

  it.each([
    ['', false],
    ['a b', false],
    ['a+b', false],
    ['a\tb', false],
    ['a\u00a0b', false],
    ['a\u2003b', false],
    ['a\u3000b', false],
    ['a\u0085b', false],
    ['a\u0001b', false],
    ['a\ud800b', false],
    ['example.com/log', true],
    ['zoë🔑', true],
  ])('key name %j valid: %s', (name, valid) => {
    expect(isValidKeyName(name)).toBe(valid);
  });

  it('reads back generated vkeys, including those whose base64 holds a "+"', () => {
    const vkeys = Array.from({ length: 32 }, (_, i) => generateSigner(`log${i}`).verifier.vkey);
    expect(vkeys.filter((k) => k.split('+').length > 3).length).toBeGreaterThan(0);
    expect(vkeys.map((k) => parseVerifierKey(k).vkey)).toEqual(vkeys);
  });

  it('refuses a key that is not Ed25519', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(codeOf(() => verifierFromPublicKey('x', publicKey))).toBe('malformed_key');
    expect(codeOf(() => verifierFromPublicKey('x', new Uint8Array(31)))).toBe('malformed_key');
  });
});

describe('signer keys', () => {
  it("reads Go's skey into the signer of Go's vkey, and writes it back", () => {
    const signer = parseSignerKey(PETER_SKEY);
    expect(signer.keyId).toBe(0xc74f20a3);
    expect(signer.verifier.vkey).toBe(PETER_VKEY);
    expect(formatSignerKey(signer)).toBe(PETER_SKEY);
  });

  it('refuses every substring and every one-byte change of an skey', () => {
    const accepted: string[] = [];
    const tryKey = (k: string) => {
      try {
        parseSignerKey(k);
        accepted.push(k);
      } catch (error) {
        expect((error as NoteError).code).toBe('malformed_key');
      }
    };
    for (let i = 0; i <= PETER_SKEY.length; i++) {
      for (let j = i + 1; j <= PETER_SKEY.length; j++) {
        if (i !== 0 || j !== PETER_SKEY.length) tryKey(PETER_SKEY.slice(i, j));
      }
    }
    for (let i = 0; i < PETER_SKEY.length; i++) {
      const changed = String.fromCharCode(PETER_SKEY.charCodeAt(i) + 1);
      tryKey(PETER_SKEY.slice(0, i) + changed + PETER_SKEY.slice(i + 1));
    }
    expect(accepted).toEqual([]);
  });

  it('generates keys whose skey and vkey agree', () => {
    const signer = generateSigner('countersign.example/audit');
    const again = parseSignerKey(formatSignerKey(signer));
    expect(again.verifier.vkey).toBe(signer.verifier.vkey);
    expect(parseVerifierKey(signer.verifier.vkey).keyId).toBe(signer.keyId);
    const fromNode = signerFromPrivateKey('n', generateKeyPairSync('ed25519').privateKey);
    expect(fromNode.verifier.vkey).toMatch(/^n\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
  });
});

describe('signNote', () => {
  it("reproduces Go's signed note byte for byte (Ed25519 is deterministic)", () => {
    expect(signNote(TEXT, [parseSignerKey(PETER_SKEY)])).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('writes a signature node:crypto verifies from the vkey alone', () => {
    const signer = generateSigner('cs.example.com/audit');
    const note = signNote('zoë\n\nsigned\n', [signer]);
    const line = /^— cs\.example\.com\/audit (\S+)\n$/.exec(note.slice('zoë\n\nsigned\n\n'.length));
    const bytes = Buffer.from(line![1], 'base64');
    expect(bytes.length).toBe(68);
    expect(bytes.readUInt32BE(0)).toBe(signer.keyId);
    const key = publicKeyFromVkey(signer.verifier.vkey);
    expect(verify(null, Buffer.from('zoë\n\nsigned\n'), key, bytes.subarray(4))).toBe(true);
    expect(verify(null, Buffer.from('zoë\n\nsigned!\n'), key, bytes.subarray(4))).toBe(false);
  });

  it('signs with several keys, one line each, all of which verify', () => {
    const a = generateSigner('a');
    const b = generateSigner('b');
    const opened = openNote(signNote('x\n', [a, b]), [a.verifier, b.verifier]);
    expect(opened.signatures.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it.each([
    ['no final newline', 'abc'],
    ['empty', ''],
    ['a control character', 'a\rb\n'],
    ['a lone surrogate', 'a\ud800\n'],
    ['more than 1 MiB', `${'x'.repeat(MAX_NOTE_BYTES)}\n`],
  ])('refuses a text with %s', (_, text) => {
    expect(codeOf(() => signNote(text, [generateSigner('a')]))).toBe('malformed_note');
  });

  it('refuses to sign with no signer', () => {
    expect(codeOf(() => signNote('a\n', []))).toBe('malformed_note');
  });
});

describe('openNote', () => {
  it("opens Go's note with one known and one unknown signature", () => {
    const opened = openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [peter]);
    expect(opened).toEqual({
      text: TEXT,
      signatures: [peterSignature],
      unverified: [enochSignature],
    });
  });

  it("opens Go's doubly signed note with both keys, from bytes too", () => {
    const bytes = Buffer.from(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`);
    const opened = openNote(bytes, [peter, enoch]);
    expect(opened.signatures).toEqual([peterSignature, enochSignature]);
    expect(opened.unverified).toEqual([]);
  });

  it('opens the C2SP signed-note example with its vkey', () => {
    const vkey = parseVerifierKey(
      'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k',
    );
    const note =
      'This is an example message.\n\n' +
      '— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
    expect(openNote(note, [vkey]).text).toBe('This is an example message.\n');
  });

  it('refuses a note with no signature from a known key, showing the ones it has', () => {
    const error = refusal(() => openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, []));
    expect(error.code).toBe('unverified_note');
    expect(error.signatures).toEqual([peterSignature, enochSignature]);
  });

  it('drops repeated signatures, verified or not', () => {
    const badEnoch = `${ENOCH_SIG.slice(0, 60)}ABCD${ENOCH_SIG.slice(60)}`;
    const note = `${TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}${badEnoch}`;
    const opened = openNote(note, [peter]);
    expect(opened.signatures).toEqual([peterSignature]);
    expect(opened.unverified.map((s) => s.base64)).toEqual([
      enochSignature.base64,
      badEnoch.slice(12, -1),
    ]);
  });

  it('refuses two different keys given under one name and key id', () => {
    const impostor: NoteVerifier = { ...generateSigner('EnochRoot').verifier, keyId: enoch.keyId };
    const note = `${TEXT}\n${ENOCH_SIG}`;
    expect(codeOf(() => openNote(note, [enoch, peter, impostor]))).toBe('ambiguous_key');
    expect(openNote(note, [enoch, peter, enoch]).signatures).toEqual([enochSignature]);
  });

  it('accepts 100 signature lines and refuses 101, known keys or not', () => {
    expect(openNote(`${TEXT}\n${PETER_SIG.repeat(100)}`, [peter]).signatures).toHaveLength(1);
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, [peter]))).toBe(
      'malformed_note',
    );
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, []))).toBe('malformed_note');
  });

  it('refuses a note over 1 MiB before reading it', () => {
    const big = `${'x'.repeat(MAX_NOTE_BYTES)}\n\n${PETER_SIG}`;
    expect(codeOf(() => openNote(big, [peter]))).toBe('malformed_note');
  });

  const signer = generateSigner('cs.example.com/audit');
  const note = signNote('cs.example.com/audit\n7\nroot\n', [signer]);
  const sigLine = note.slice(note.lastIndexOf('\n\n') + 2);

  it.each<[string, string, NoteErrorCode]>([
    ['tampered text', note.replace('\n7\n', '\n8\n'), 'invalid_signature'],
    [
      'tampered signature',
      reencode(note, (b) => ((b[20] ^= 1), b.toString('base64'))),
      'invalid_signature',
    ],
    [
      'a blank line doubled before the signatures',
      note.replace('\n\n', '\n\n\n'),
      'invalid_signature',
    ],
    ['a blank line between signatures', `${note}\n${sigLine}`, 'invalid_signature'],
    ['a blank line after the signatures', `${note}\n`, 'malformed_note'],
    ['no final newline', note.slice(0, -1), 'malformed_note'],
    ['no blank line', note.replace('\n\n', '\n'), 'malformed_note'],
    ['no signature', 'cs.example.com/audit\n7\nroot\n\n', 'malformed_note'],
    ['a hyphen for the em dash', note.replace('— ', '- '), 'malformed_note'],
    ['an en dash for the em dash', note.replace('— ', '\u2013 '), 'malformed_note'],
    ['two spaces after the dash', note.replace('— ', '—  '), 'malformed_note'],
    ['a line that is not a signature', `${note}Unexpected line.\n`, 'malformed_note'],
    [
      'a key name with a space',
      note.replace('— cs.example.com/audit', '— cs example'),
      'malformed_note',
    ],
    ['a signature without padding', note.replace(/=\n$/, '\n'), 'malformed_note'],
    ['a signature in base64url', reencode(note, (b) => b.toString('base64url')), 'malformed_note'],
    [
      'a signature with stray bits',
      reencode(note, (b) =>
        b
          .toString('base64')
          .replace(/(.)=$/, (_, c: string) => `${String.fromCharCode(c.charCodeAt(0) + 1)}=`),
      ),
      'malformed_note',
    ],
    ['a 4-byte signature', note.replace(/ \S+\n$/, ' AAAAAA==\n'), 'malformed_note'],
    ['a control character', `\u0001${note}`, 'malformed_note'],
    ['a carriage return', note.replace('\n7\n', '\r\n7\n'), 'malformed_note'],
    ['a lone surrogate', `\ud800${note}`, 'malformed_note'],
  ])('refuses a note with %s', (_, tampered, code) => {
    expect(tampered).not.toBe(note);
    expect(codeOf(() => openNote(tampered, [signer.verifier]))).toBe(code);
  });

  it('refuses a signature under another key name or by an unknown key', () => {
    const renamed = verifierFromPublicKey('cs.example.com/other', signer.verifier.publicKey);
    expect(codeOf(() => openNote(note, [renamed]))).toBe('unverified_note');
    expect(codeOf(() => openNote(note, [generateSigner('cs.example.com/audit').verifier]))).toBe(
      'unverified_note',
    );
  });

  it('refuses bytes that are not UTF-8, and a 64-byte signature of the wrong key', () => {
    const bytes = Buffer.concat([Buffer.from([0xff]), Buffer.from(note)]);
    expect(codeOf(() => openNote(bytes, [signer.verifier]))).toBe('malformed_note');
    const other = generateSigner('cs.example.com/audit');
    const forged = signNote('cs.example.com/audit\n7\nroot\n', [other]).replace(
      /— (\S+) (\S{6})/,
      (_, n: string) =>
        `— ${n} ${note.slice(note.lastIndexOf(' ') + 1, note.lastIndexOf(' ') + 7)}`,
    );
    expect(codeOf(() => openNote(forged, [signer.verifier]))).toBe('invalid_signature');
  });
});
