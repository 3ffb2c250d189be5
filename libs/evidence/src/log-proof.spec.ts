import type { AuditEvent } from '#audit-log';
import {
  GENESIS_HASH,
  eventLeafHash,
  generateSigner,
  hashEvent,
  inclusionProof,
  rootHash,
  signCheckpoint,
} from '#audit-log';
import type { EvidenceBundle, EvidenceLogProof } from './bundle.js';
import { checkLogProof } from './log-proof.js';

const ORIGIN = 'countersign.test/audit';
const signer = generateSigner(ORIGIN);
const base64 = (hash: Uint8Array) => Buffer.from(hash).toString('base64');

/** A log of 12 events; the request's are those at `mine`. */
function story(mine = [2, 5, 9], size = 12) {
  const log: AuditEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= 12; seq++) {
    const unhashed = {
      seq,
      id: `event-${seq}`,
      at: '2026-12-07T10:00:00.000Z',
      type: 'request.created',
      actor: 'corp:alice',
      requestId: mine.includes(seq) ? 'req-1' : 'req-other',
      data: {},
      prevHash,
    };
    log.push({ ...unhashed, hash: hashEvent(unhashed) });
    prevHash = log[log.length - 1].hash;
  }
  const leaves = log.slice(0, size).map(eventLeafHash);
  const events = log.filter((event) => mine.includes(event.seq));
  const proof: EvidenceLogProof = {
    key: signer.verifier.vkey,
    checkpoint: signCheckpoint({ origin: ORIGIN, size, rootHash: rootHash(leaves) }, [signer]),
    inclusion: events.map((event) => ({
      seq: event.seq,
      proof: event.seq <= size ? inclusionProof(leaves, event.seq - 1).map(base64) : [],
    })),
  };
  const bundle = {
    auditEvents: events,
    chainHead: { seq: size, hash: log[size - 1].hash },
    log: proof,
  } as Pick<EvidenceBundle, 'auditEvents' | 'chainHead' | 'log'> as EvidenceBundle;
  return { bundle, log: proof };
}

describe('checkLogProof', () => {
  it('passes events included under the checkpoint, with the given key or the bundle’s', () => {
    const { bundle } = story();
    expect(checkLogProof(bundle, `${signer.verifier.vkey}\n`)).toEqual({
      ok: true,
      detail:
        '3 audit events in the log under a checkpoint of size 12, signed by the given log key',
    });
    expect(checkLogProof(bundle).detail).toMatch(/signed by the bundle's own log key$/);
  });

  it('says so when the bundle has no log proof', () => {
    const { bundle } = story();
    delete bundle.log;
    expect(checkLogProof(bundle)).toEqual({
      ok: true,
      detail: 'no log proof (a bundle made before the transparency log)',
    });
  });

  it.each<[string, (b: EvidenceBundle, log: EvidenceLogProof) => void, string]>([
    [
      'an altered event',
      (b) => {
        b.auditEvents[1] = { ...b.auditEvents[1], actor: 'corp:mallory' };
      },
      'not in the log under its signed checkpoint (size 12): event 5',
    ],
    [
      'a proof of another leaf',
      (_b, log) => {
        log.inclusion[0].proof = [...log.inclusion[1].proof];
      },
      'not in the log under its signed checkpoint (size 12): event 2',
    ],
    [
      'a proof hash changed',
      (_b, log) => {
        log.inclusion[2].proof[0] = Buffer.alloc(32, 1).toString('base64');
      },
      'not in the log under its signed checkpoint (size 12): event 9',
    ],
    [
      'a proof cut short',
      (_b, log) => {
        log.inclusion[2].proof.pop();
      },
      'not in the log under its signed checkpoint (size 12): event 9',
    ],
    [
      'a proof missing',
      (_b, log) => {
        log.inclusion.pop();
      },
      'one inclusion proof per audit event, in their order, is required',
    ],
    [
      'proofs out of order',
      (_b, log) => {
        log.inclusion.reverse();
      },
      'one inclusion proof per audit event, in their order, is required',
    ],
    [
      'a chain head beyond the checkpoint',
      (b) => {
        b.chainHead = { ...b.chainHead, seq: 13 };
      },
      'the checkpoint (size 12) does not cover the chain head (seq 13)',
    ],
  ])('fails %s', (_name, change, detail) => {
    const { bundle, log } = story();
    change(bundle, log);
    expect(checkLogProof(bundle, signer.verifier.vkey)).toEqual({ ok: false, detail });
  });

  it('fails an event beyond the checkpoint', () => {
    const { bundle } = story([2, 5, 9], 8);
    bundle.chainHead = { seq: 8, hash: bundle.chainHead.hash };
    expect(checkLogProof(bundle, signer.verifier.vkey)).toEqual({
      ok: false,
      detail: 'not in the log under its signed checkpoint (size 8): event 9',
    });
  });

  it('fails a checkpoint signed by another key, and a key that is not the one given', () => {
    const impostor = generateSigner(ORIGIN);
    const { bundle, log } = story();
    log.key = impostor.verifier.vkey;
    expect(checkLogProof(bundle, signer.verifier.vkey)).toEqual({
      ok: false,
      detail: 'the log key in the bundle is not the one given',
    });
    expect(checkLogProof(bundle).ok).toBe(false);
    expect(checkLogProof(bundle).detail).toMatch(/^checkpoint does not verify/);
  });
});
