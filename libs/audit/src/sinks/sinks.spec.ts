import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '../audit-event.js';
import type { SinkCheckpoint } from './batch.js';
import { inStreamOrder } from './batch.js';
import { FileSink } from './file-sink.js';
import { octetCounted, syslogHostname, syslogMessage } from './syslog-message.js';

const event = (seq: number): AuditEvent => ({
  seq,
  id: `id-${seq}`,
  at: '2026-03-01T12:00:00.000Z',
  type: 'request.created',
  actor: 'corp:alice',
  data: { text: 'é\n"' },
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
});
const checkpoint = (size: number): SinkCheckpoint => ({
  size,
  rootHash: 'r',
  issuedAt: '2026-03-01T12:00:01.000Z',
  note: 'n\n',
});
const order = (records: ReturnType<typeof inStreamOrder>) =>
  records.map((r) => (r.kind === 'event' ? r.event.seq : `c${r.checkpoint.size}`));

describe('inStreamOrder', () => {
  it('puts each checkpoint right after the event its size ends on', () => {
    const batch = { events: [4, 5, 6, 7].map(event), checkpoints: [3, 5, 7].map(checkpoint) };
    expect(order(inStreamOrder(batch))).toEqual(['c3', 4, 5, 'c5', 6, 7, 'c7']);
  });

  it('sends a checkpoint of events sent before on its own', () => {
    expect(order(inStreamOrder({ events: [], checkpoints: [checkpoint(9)] }))).toEqual(['c9']);
  });
});

describe('syslog messages', () => {
  it('are RFC 5424 with facility log audit, MSGID the record kind and the canonical JSON', () => {
    const header = { hostname: 'broker-1', appName: 'countersign' };
    expect(syslogMessage({ kind: 'event', event: event(42) }, header)).toBe(
      '<110>1 2026-03-01T12:00:00.000Z broker-1 countersign - event - ' +
        '{"actor":"corp:alice","at":"2026-03-01T12:00:00.000Z","data":{"text":"é\\n\\""},' +
        `"hash":"${'1'.repeat(64)}","id":"id-42","prevHash":"${'0'.repeat(64)}","seq":42,"type":"request.created"}`,
    );
    expect(syslogMessage({ kind: 'checkpoint', checkpoint: checkpoint(7) }, header)).toBe(
      '<110>1 2026-03-01T12:00:01.000Z broker-1 countersign - checkpoint - ' +
        '{"checkpoint":{"issuedAt":"2026-03-01T12:00:01.000Z","note":"n\\n","rootHash":"r","size":7}}',
    );
  });

  it('are framed by their length in bytes, not characters', () => {
    expect(octetCounted('<110>1 é').toString('utf8')).toBe('9 <110>1 é');
  });

  it('carry a printable host name, or NILVALUE', () => {
    expect(syslogHostname('host name\u00e9')).toBe('hostname');
    expect(syslogHostname('')).toBe('-');
  });
});

describe('FileSink', () => {
  it('cuts a torn last line before appending, and keeps whole ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-file-sink-'));
    try {
      const path = join(dir, 'audit.jsonl');
      writeFileSync(path, '{"seq":1}\n{"seq":2}\n{"se');
      await new FileSink('f', path).deliver(
        { events: [event(2)], checkpoints: [] },
        new AbortController().signal,
      );
      const lines = readFileSync(path, 'utf8').split('\n');
      expect(lines.slice(0, 2)).toEqual(['{"seq":1}', '{"seq":2}']);
      expect(JSON.parse(lines[2])).toMatchObject({ seq: 2 });
      expect(lines[3]).toBe('');
      writeFileSync(path, '{"torn');
      await new FileSink('f', path).deliver(
        { events: [event(1)], checkpoints: [] },
        new AbortController().signal,
      );
      expect(readFileSync(path, 'utf8').startsWith('{"actor"')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
