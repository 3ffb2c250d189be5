import { createHash, createPublicKey, verify } from 'node:crypto';
import type { Checkpoint } from './checkpoint.js';
import {
  CheckpointError,
  defaultOrigin,
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
} from './checkpoint.js';
import { NoteError, generateSigner, signNote } from './note.js';

const root = createHash('sha256').update('root').digest();
const ROOT = root.toString('base64');
const ORIGIN = 'cs.example.com/audit';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function refusal(run: () => unknown): CheckpointError | NoteError {
  try {
    run();
  } catch (error) {
    if (error instanceof CheckpointError || error instanceof NoteError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('checkpoint text', () => {
  it('parses the C2SP tlog-checkpoint example', () => {
    const text =
      'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    const checkpoint = parseCheckpoint(text);
    expect(checkpoint).toMatchObject({ origin: 'example.com/behind-the-sofa', size: 20852163 });
    expect(formatCheckpoint(checkpoint)).toBe(text);
  });

  it.each<[string, Checkpoint, string]>([
    ['an empty tree', { origin: ORIGIN, size: 0, rootHash: root }, `${ORIGIN}\n0\n${ROOT}\n`],
    ['one leaf', { origin: ORIGIN, size: 1, rootHash: root }, `${ORIGIN}\n1\n${ROOT}\n`],
    [
      'the largest safe size',
      { origin: ORIGIN, size: Number.MAX_SAFE_INTEGER, rootHash: root },
      `${ORIGIN}\n9007199254740991\n${ROOT}\n`,
    ],
    [
      'extension lines, kept as they are',
      { origin: 'any origin, even + this', size: 5, rootHash: root, extensions: ['— x', 'y z'] },
      `any origin, even + this\n5\n${ROOT}\n— x\ny z\n`,
    ],
  ])('formats and parses back %s', (_, checkpoint, text) => {
    expect(formatCheckpoint(checkpoint)).toBe(text);
    const parsed = parseCheckpoint(text);
    expect(parsed).toEqual({ extensions: [], ...checkpoint, rootHash: root });
    expect(formatCheckpoint(parsed)).toBe(text);
  });

  it.each([
    ['no final newline', `${ORIGIN}\n1\n${ROOT}`],
    ['two lines', `${ORIGIN}\n1\n`],
    ['an empty text', ''],
    ['an empty origin', `\n1\n${ROOT}\n`],
    ['an empty size', `${ORIGIN}\n\n${ROOT}\n`],
    ['a leading zero', `${ORIGIN}\n01\n${ROOT}\n`],
    ['a negative size', `${ORIGIN}\n-1\n${ROOT}\n`],
    ['a plus sign', `${ORIGIN}\n+1\n${ROOT}\n`],
    ['a space in the size', `${ORIGIN}\n 1\n${ROOT}\n`],
    ['a fraction', `${ORIGIN}\n1.0\n${ROOT}\n`],
    ['an exponent', `${ORIGIN}\n1e3\n${ROOT}\n`],
    ['hexadecimal', `${ORIGIN}\n0x10\n${ROOT}\n`],
    ['a size past 2^53 - 1', `${ORIGIN}\n9007199254740992\n${ROOT}\n`],
    ['a 31-byte root', `${ORIGIN}\n1\n${root.subarray(1).toString('base64')}\n`],
    [
      'a 33-byte root',
      `${ORIGIN}\n1\n${Buffer.concat([root, root]).subarray(0, 33).toString('base64')}\n`,
    ],
    ['a root without padding', `${ORIGIN}\n1\n${ROOT.replace('=', '')}\n`],
    ['a root in base64url', `${ORIGIN}\n1\n${root.toString('base64url')}=\n`],
    [
      'a root with stray bits',
      `${ORIGIN}\n1\n${ROOT.slice(0, -2)}${B64[B64.indexOf(ROOT.at(-2)!) + 1]}=\n`,
    ],
    ['an empty root', `${ORIGIN}\n1\n\n`],
    ['an empty extension line', `${ORIGIN}\n1\n${ROOT}\n\next\n`],
    ['a trailing blank line', `${ORIGIN}\n1\n${ROOT}\n\n`],
    ['CRLF line ends', `${ORIGIN}\r\n1\r\n${ROOT}\r\n`],
  ])('refuses to parse a checkpoint with %s', (_, text) => {
    if (text.includes('base64url')) expect(root.toString('base64url')).not.toBe(ROOT);
    expect(refusal(() => parseCheckpoint(text)).code).toBe('malformed_checkpoint');
  });

  it.each<[string, Checkpoint]>([
    ['an empty origin', { origin: '', size: 1, rootHash: root }],
    ['a newline in the origin', { origin: 'a\nb', size: 1, rootHash: root }],
    ['a negative size', { origin: ORIGIN, size: -1, rootHash: root }],
    ['a fractional size', { origin: ORIGIN, size: 1.5, rootHash: root }],
    ['an unsafe size', { origin: ORIGIN, size: 2 ** 53, rootHash: root }],
    ['NaN', { origin: ORIGIN, size: Number.NaN, rootHash: root }],
    ['a 31-byte root', { origin: ORIGIN, size: 1, rootHash: root.subarray(1) }],
    ['an empty extension', { origin: ORIGIN, size: 1, rootHash: root, extensions: [''] }],
    ['a newline in an extension', { origin: ORIGIN, size: 1, rootHash: root, extensions: ['a\n'] }],
  ])('refuses to format a checkpoint with %s', (_, checkpoint) => {
    expect(refusal(() => formatCheckpoint(checkpoint)).code).toBe('malformed_checkpoint');
  });
});

describe('signed checkpoints', () => {
  const signer = generateSigner(ORIGIN);
  const checkpoint: Checkpoint = { origin: ORIGIN, size: 42, rootHash: root };
  const signed = signCheckpoint(checkpoint, [signer]);

  it('signs a checkpoint node:crypto verifies from the published vkey', () => {
    const body = `${ORIGIN}\n42\n${ROOT}\n`;
    expect(signed.startsWith(`${body}\n— ${ORIGIN} `)).toBe(true);
    const sig = Buffer.from(signed.slice(signed.lastIndexOf(' ') + 1, -1), 'base64');
    const [, , , key] = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(signer.verifier.vkey)!;
    const raw = Buffer.from(key, 'base64').subarray(1);
    const publicKey = createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]),
      format: 'der',
      type: 'spki',
    });
    expect(verify(null, Buffer.from(body), publicKey, sig.subarray(4))).toBe(true);
  });

  it('opens what it signed, with or without the expected origin', () => {
    const opened = openCheckpoint(signed, [signer.verifier], { origin: ORIGIN });
    expect(opened.checkpoint).toEqual({ ...checkpoint, rootHash: root, extensions: [] });
    expect(opened.note.signatures.map((s) => s.name)).toEqual([ORIGIN]);
    expect(openCheckpoint(Buffer.from(signed), [signer.verifier]).checkpoint.size).toBe(42);
  });

  it.each<[string, () => unknown, string]>([
    [
      'another log',
      () => openCheckpoint(signed, [signer.verifier], { origin: 'x/audit' }),
      'wrong_origin',
    ],
    [
      'a changed size',
      () => openCheckpoint(signed.replace('\n42\n', '\n43\n'), [signer.verifier]),
      'invalid_signature',
    ],
    [
      'an unknown key',
      () => openCheckpoint(signed, [generateSigner(ORIGIN).verifier]),
      'unverified_note',
    ],
    [
      'a signed text that is no checkpoint',
      () => openCheckpoint(signNote(`${ORIGIN}\n042\n${ROOT}\n`, [signer]), [signer.verifier]),
      'malformed_checkpoint',
    ],
  ])('refuses %s', (_, open, code) => {
    expect(refusal(open).code).toBe(code);
  });
});

describe('defaultOrigin', () => {
  it.each([
    ['https://cs.example.com/base/', 'cs.example.com/base/audit'],
    ['http://localhost:3000', 'localhost:3000/audit'],
    ['https://cs.example.com', 'cs.example.com/audit'],
    ['https://CS.Example.com:8443/a/b//?q=1#f', 'cs.example.com:8443/a/b/audit'],
    ['https://cs.example.com:443/', 'cs.example.com/audit'],
  ])('%s → %s', (publicUrl, origin) => {
    expect(defaultOrigin(publicUrl)).toBe(origin);
  });
});
