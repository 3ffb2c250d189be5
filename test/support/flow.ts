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
