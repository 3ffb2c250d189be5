import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GrantRow } from '#persistence';
import { WebhookProvider } from './webhook-provider.js';

function grant(): GrantRow {
  return Object.assign(new GrantRow(), {
    id: randomUUID(),
    requestId: randomUUID(),
    role: 'hook',
    resource: 'https://target.example.com',
    recipient: 'corp:alice',
    actions: ['use'],
    approvers: ['corp:bob'],
    issuedAt: new Date(),
    expiresAt: new Date(Date.now() + 60_000),
  });
}

describe('WebhookProvider against a receiver that never answers', () => {
  const pending: ServerResponse[] = [];
  let requests = 0;
  const server = createServer((_: IncomingMessage, response: ServerResponse) => {
    requests++;
    pending.push(response);
  });
  let provider: WebhookProvider;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    provider = new WebhookProvider({
      type: 'webhook',
      url: `http://127.0.0.1:${port}/hook`,
      secret: 'a-secret-of-some-length',
      timeout: 1,
    });
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('times a revoke out once, then fails the next ones at once for a moment', async () => {
    const started = Date.now();
    await expect(provider.revoke(grant())).rejects.toThrow(
      'webhook revoke: receiver unreachable (timeout)',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const next = Date.now();
    await expect(provider.revoke(grant())).rejects.toThrow(
      'webhook revoke: receiver unreachable (timeout)',
    );
    expect(Date.now() - next).toBeLessThan(100);
    expect(requests).toBe(1);

    // After the window the receiver is asked again.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await expect(provider.revoke(grant())).rejects.toThrow('timeout');
    expect(requests).toBe(2);
  });
});
