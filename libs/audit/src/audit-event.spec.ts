import canonicalize from 'canonicalize';
import type { AuditEvent } from './audit-event.js';
import { GENESIS_HASH, canonicalData, hashEvent, sealEvent } from './audit-event.js';
import { eventLeaf } from './log/leaf.js';

const awkward = [
  '',
  'plain',
  'tab\there\nline\r\\N "quote" \u0000\u001f\u007f',
  'zoë 🔑 \u2028\u2029 surrogate pair \ud83d\udd11',
  '\u202e bidi',
  '</script>',
];

function events(): Array<Omit<AuditEvent, 'hash'>> {
  const all: Array<Omit<AuditEvent, 'hash'>> = [];
  let seq = 0;
  for (const text of awkward) {
    for (const withIds of [false, true]) {
      seq += 1;
      all.push({
        seq,
        id: `id-${text}`,
        at: new Date(1_700_000_000_000 + seq).toISOString(),
        type: `type ${text}`,
        actor: `corp:${text}`,
        ...(withIds ? { requestId: `r${text}`, grantId: `g${text}` } : {}),
        data: {
          text,
          [text]: text,
          z: [1, 1e21, -0, 0.1, 1e-7, true, null, { b: 2, a: [text] }],
          nested: { é: 1, e: 2, 'e\u0301': 3, '10': 4, '9': 5 },
        },
        prevHash: seq === 1 ? GENESIS_HASH : 'f'.repeat(64),
      });
    }
  }
  seq += 1;
  all.push({ seq, id: 'x', at: 'y', type: 'request.created', actor: 'a', data: {}, prevHash: 'p' });
  return all;
}

describe('sealEvent', () => {
  it.each(events().map((event) => [event.seq, event] as const))(
    'hashes and serialises event %i exactly as the plain definitions do',
    (_, unhashed) => {
      const sealed = sealEvent({ ...unhashed, data: canonicalData(unhashed.data) });
      const event: AuditEvent = { ...unhashed, hash: hashEvent(unhashed) };
      expect(sealed.hash).toBe(event.hash);
      expect(sealed.leaf).toBe(canonicalize(event));
      expect(Buffer.from(sealed.leaf, 'utf8')).toEqual(eventLeaf(event));
    },
  );

  it('refuses, as the plain definition does, a string with a lone surrogate', () => {
    const [first] = events();
    const lone = { ...first, data: { text: 'half \ud800 a pair' } };
    expect(() => canonicalData(lone.data)).toThrow(/not serialisable/);
    expect(() => hashEvent(lone)).toThrow();
  });
});
