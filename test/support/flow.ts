import type { TestBroker } from './broker.js';

/** Small steps of the core flow, so each spec reads as the story it tests. */
export async function createRequest(
  broker: TestBroker,
  user: string,
  body: Record<string, unknown> = { role: 'prod-db-admin', justification: 'INC-1' },
): Promise<{ id: string; status: string; [key: string]: unknown }> {
  const response = await broker.http
    .post('/v1/requests')
    .set('authorization', `Bearer ${await broker.token(user)}`)
    .send(body)
    .expect(201);
  return response.body as { id: string; status: string };
}

export async function as(broker: TestBroker, user: string, groups?: string[]) {
  const auth = `Bearer ${await broker.token(user, groups)}`;
  return {
    get: (path: string) => broker.http.get(path).set('authorization', auth),
    post: (path: string, body: object = {}) =>
      broker.http.post(path).set('authorization', auth).send(body),
  };
}

export async function approvedRequest(broker: TestBroker, requester = 'alice', approver = 'bob') {
  const request = await createRequest(broker, requester);
  const client = await as(broker, approver);
  await client.post(`/v1/requests/${request.id}/approve`).expect(200);
  return request;
}

export interface MintedGrant {
  grantId: string;
  expiresAt: string;
  token: string;
}

/** A request for the `quick` role (seconds-long grants), approved by bob and minted by alice. */
export async function mintQuickGrant(broker: TestBroker, duration = '3s'): Promise<MintedGrant> {
  const request = await createRequest(broker, 'alice', { role: 'quick', duration });
  await (await as(broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
  const minted = await (
    await as(broker, 'alice')
  )
    .post(`/v1/requests/${request.id}/credentials`)
    .expect(201);
  const body = minted.body as { grantId: string; expiresAt: string; credential: { token: string } };
  return { grantId: body.grantId, expiresAt: body.expiresAt, token: body.credential.token };
}

/** Polls until `check` returns a value or the deadline passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
