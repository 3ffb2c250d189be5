import type { TestBroker } from './broker.js';
import { as } from './flow.js';

/** An audit event as `GET /v1/audit` answers it (docs/api.md §5). */
export interface AuditEventBody {
  seq: number;
  type: string;
  actor: string;
  requestId?: string;
  grantId?: string;
  data: Record<string, unknown>;
}

/** Every audit event matching the query, read as the admin `dave`, following `nextCursor`. */
export async function auditTrail(
  broker: TestBroker,
  query: Record<string, string>,
): Promise<AuditEventBody[]> {
  const admin = await as(broker, 'dave');
  const events: AuditEventBody[] = [];
  let cursor: string | undefined;
  do {
    const params = new URLSearchParams({ ...query, limit: '200', ...(cursor ? { cursor } : {}) });
    const response = await admin.get(`/v1/audit?${params.toString()}`).expect(200);
    events.push(...(response.body.items as AuditEventBody[]));
    cursor = response.body.nextCursor as string | undefined;
  } while (cursor !== undefined);
  return events;
}

/** The seq of the newest event: pass it as `cursor` to read only the events written after now. */
export async function auditHead(broker: TestBroker): Promise<string> {
  const admin = await as(broker, 'dave');
  const response = await admin.get('/v1/audit/verify').expect(200);
  return String(response.body.events);
}

/**
 * The refusal events (`*.refused`, as `{type, ...data}`) and the denying `policy.evaluated`
 * decisions (their `data`) among the events matching the query, oldest first.
 */
export async function refusalsOf(
  broker: TestBroker,
  query: Record<string, string>,
): Promise<{ refused: Record<string, unknown>[]; denied: Record<string, unknown>[] }> {
  const events = await auditTrail(broker, query);
  return {
    refused: events
      .filter((e) => e.type.endsWith('.refused'))
      .map((e) => ({ type: e.type, ...e.data })),
    denied: events
      .filter((e) => e.type === 'policy.evaluated' && e.data.decision === 'deny')
      .map((e) => e.data),
  };
}

/** How many events of each type a request has in the log. */
export async function countByType(
  broker: TestBroker,
  requestId: string,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const event of await auditTrail(broker, { requestId })) {
    counts[event.type] = (counts[event.type] ?? 0) + 1;
  }
  return counts;
}
