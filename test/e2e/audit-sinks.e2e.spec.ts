import { jest } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { FixedClock } from '#domain';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { auditTrail } from '../support/audit.js';
import { approvedRequest, eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(60_000);

const SECRET = 'e2e-sink-secret-never-shown';
const HOOK_PATH = '/hooks/path-token-never-shown';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each(DATABASE_KINDS)('audit sinks in the broker on %s', (kind) => {
  let issuer: TestIssuer;
  let broker: TestBroker;
  let scratch: string;
  let path: string;
  const clock = new FixedClock(new Date());

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    scratch = mkdtempSync(join(tmpdir(), 'countersign-sinks-e2e-'));
    path = join(scratch, 'audit.jsonl');
    const port = await closedPort();
    const sinks = `
audit:
  sinks:
    - { name: local, type: file, path: "${path}" }
    - { name: relay, type: syslog, host: 127.0.0.1, port: ${port} }
    - { name: siem, type: webhook, url: "http://127.0.0.1:${port}${HOOK_PATH}", secret: "\${SINK_SECRET}" }
`;
    broker = await startBroker({
      kind,
      issuer,
      clock,
      yaml: testConfigYaml(issuer, sinks),
      env: { SINK_SECRET: SECRET },
    });
  });

  afterAll(async () => {
    await broker?.close();
    await issuer.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('streams the events the API writes to the file sink, each line the event GET /v1/audit returns', async () => {
    await approvedRequest(broker);
    const listed = await auditTrail(broker, {});
    expect(listed.length).toBeGreaterThan(3);
    const lines = await eventually(() => {
      if (!existsSync(path)) return undefined;
      const read = readFileSync(path, 'utf8').split('\n').slice(0, -1);
      const events = read.filter((line) => !line.startsWith('{"checkpoint"'));
      return events.length >= listed.length ? events : undefined;
    }, 10_000);
    expect(lines.slice(0, listed.length)).toEqual(listed.map((event) => canonicalize(event)));
  });

  it('reports sinks that cannot deliver in /metrics and /health/ready, ready all the same, naming no secret', async () => {
    const head = await eventually(async () => {
      const metrics = (await broker.http.get('/metrics').expect(200)).text;
      const lag = (sink: string) =>
        Number(
          new RegExp(`^countersign_audit_sink_lag_events\\{sink="${sink}"\\} (\\d+)$`, 'm').exec(
            metrics,
          )?.[1],
        );
      return lag('local') === 0 && lag('relay') > 0 && lag('siem') === lag('relay')
        ? lag('relay')
        : undefined;
    }, 10_000);
    const ready = await eventually(async () => {
      const response = await broker.http.get('/health/ready').expect(200);
      const sinks = response.body.info?.auditSinks?.sinks;
      return sinks?.relay?.lastError && sinks?.siem?.lastError ? response : undefined;
    }, 10_000);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.info.auditSinks.status).toBe('up');
    expect(ready.body.info.auditSinks.sinks).toMatchObject({
      local: { kind: 'file', lag: 0, behind: false },
      relay: {
        kind: 'syslog',
        lag: head,
        behind: false,
        lastError: 'syslog delivery failed (ECONNREFUSED)',
      },
      siem: {
        kind: 'webhook',
        lag: head,
        behind: false,
        lastError: 'webhook POST failed (ECONNREFUSED)',
      },
    });

    // Two minutes on, the undelivered events have waited too long: behind, and still ready.
    clock.advance(120);
    const later = await broker.http.get('/health/ready').expect(200);
    expect(later.body.status).toBe('ok');
    expect(later.body.info.auditSinks.sinks.relay).toMatchObject({ lag: head, behind: true });
    expect(later.body.info.auditSinks.sinks.relay.oldestUndeliveredSeconds).toBeGreaterThanOrEqual(
      120,
    );
    expect(later.body.info.auditSinks.sinks.local).toMatchObject({ lag: 0, behind: false });
    const metrics = (await broker.http.get('/metrics').expect(200)).text;
    for (const shown of [JSON.stringify(later.body), metrics]) {
      expect(shown).not.toContain(SECRET);
      expect(shown).not.toContain('path-token-never-shown');
    }
  });
});
