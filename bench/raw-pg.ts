import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';

/** One audit row as the broker wrote it in a flow: the raw baseline writes rows of the same size. */
export interface AuditShape {
  type: string;
  actor: string;
  data: string;
}

/** The audit rows each step of one broker flow wrote, observed from the broker itself. */
export interface FlowShape {
  create: AuditShape[];
  approve: AuditShape[];
  mint: AuditShape[];
}

/**
 * How the raw baseline sends the same rows (each step one transaction, its audit rows in one
 * multi-row INSERT into `audit_pending` as the broker writes them, no lock):
 * - `statements`: BEGIN, each insert and update, the audit insert, COMMIT: one round trip each;
 * - `broker-sql`: the same plus the two reads the broker's approve and mint make first (the
 *   request row locked, its approvals);
 * - `pipelined`: each step's writes as one statement (data-modifying CTEs, atomic on their own,
 *   every write guarded by the request's status), so a step is a single round trip.
 */
export type RawVariant = 'statements' | 'broker-sql' | 'pipelined';

const REQUESTER = 'corp:alice';
const APPROVER = 'corp:bob';
const ROLE = 'prod-db-admin';
const RESOURCE = 'postgres://prod/payments';
const AUDIT_COLUMNS = 'txn, ord, event_id, at, type, actor, request_id, grant_id, data';

export interface StepTimes {
  flowMs: number;
  mintMs: number;
}

/** A request's id and, once minted, its grant's. */
export interface FlowIds {
  id: string;
  grantId: string;
}

export const newFlowIds = (): FlowIds => ({ id: randomUUID(), grantId: randomUUID() });

/**
 * A step's audit rows as a CTE `audit(...)` plus the INSERT that reads it: one statement, one txn
 * number from the broker's sequence, `from` gating the insert on an earlier CTE (a guarded update).
 */
function auditInsert(
  audits: readonly AuditShape[],
  requestId: string,
  grantId: string | null,
  params: unknown[],
  from = '',
): string {
  const at = Date.now();
  const tuples = audits.map((audit, ord) => {
    const base = params.length;
    params.push(ord, randomUUID(), at, audit.type, audit.actor, requestId, grantId, audit.data);
    const p = (i: number) => `$${base + i}`;
    return `(${p(1)}::int, ${p(2)}::varchar, ${p(3)}::bigint, ${p(4)}::varchar, ${p(5)}::varchar, ${p(6)}::varchar, ${p(7)}::varchar, ${p(8)}::text)`;
  });
  return `INSERT INTO audit_pending (${AUDIT_COLUMNS})
    SELECT t.txn, v.ord, v.event_id, v.at, v.type, v.actor, v.request_id, v.grant_id, v.data
    FROM (SELECT nextval('audit_pending_txn') AS txn${from ? ` FROM ${from}` : ''}) t,
         (VALUES ${tuples.join(', ')}) AS v(ord, event_id, at, type, actor, request_id, grant_id, data)`;
}

const requestValues = (id: string, now: number) => [
  id,
  ROLE,
  RESOURCE,
  REQUESTER,
  REQUESTER,
  'bench',
  900,
  now,
  now + 86_400_000,
];
const INSERT_REQUEST = `INSERT INTO access_requests (id, role, resource, requester, recipient,
    justification, duration_seconds, status, approvals_required, created_at, deadline_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 1, $8, $9)`;

export class RawFlows {
  private pool?: pg.Pool;

  constructor(
    private readonly shape: FlowShape,
    private readonly variant: RawVariant,
  ) {}

  attach(pool: pg.Pool): void {
    this.pool = pool;
  }

  async flow(): Promise<StepTimes> {
    const started = performance.now();
    const ids = newFlowIds();
    await this.create(ids);
    await this.approve(ids);
    const mintStarted = performance.now();
    await this.mint(ids);
    const ended = performance.now();
    return { flowMs: ended - started, mintMs: ended - mintStarted };
  }

  private get db(): pg.Pool {
    if (!this.pool) throw new Error('attach a pool first');
    return this.pool;
  }

  async create({ id }: FlowIds): Promise<void> {
    const now = Date.now();
    if (this.variant === 'pipelined') {
      const params: unknown[] = requestValues(id, now);
      await this.expect(
        `WITH r AS (${INSERT_REQUEST} RETURNING id) ${auditInsert(this.shape.create, id, null, params, 'r')}`,
        params,
        this.shape.create.length,
      );
      return;
    }
    await this.transaction(async (client) => {
      await client.query(INSERT_REQUEST, requestValues(id, now));
      await this.audit(client, this.shape.create, id, null);
    });
  }

  async approve({ id }: FlowIds): Promise<void> {
    const now = Date.now();
    const approval = [randomUUID(), APPROVER, now, '["sre-leads"]'];
    const decided = [now, now + 900_000];
    if (this.variant === 'pipelined') {
      const params: unknown[] = [id, ...approval, ...decided];
      await this.expect(
        `WITH u AS (UPDATE access_requests SET status = 'approved', decided_at = $6, deadline_at = $7
                    WHERE id = $1 AND status = 'pending' RETURNING id),
              a AS (INSERT INTO approvals (id, request_id, approver, comment, at, admin_reach, token_groups)
                    SELECT $2, u.id, $3, NULL, $4, false, $5 FROM u)
         ${auditInsert(this.shape.approve, id, null, params, 'u')}`,
        params,
        this.shape.approve.length,
      );
      return;
    }
    await this.transaction(async (client) => {
      if (this.variant === 'broker-sql') await this.brokerReads(client, id);
      await client.query(
        `INSERT INTO approvals (id, request_id, approver, comment, at, admin_reach, token_groups)
         VALUES ($1, $2, $3, NULL, $4, false, $5)`,
        [approval[0], id, ...approval.slice(1)],
      );
      await this.transition(
        client,
        `UPDATE access_requests SET status = 'approved', decided_at = $3, deadline_at = $4
         WHERE id = $1 AND status = $2`,
        [id, 'pending', ...decided],
      );
      await this.audit(client, this.shape.approve, id, null);
    });
  }

  async mint({ id, grantId }: FlowIds): Promise<void> {
    const now = Date.now();
    const grant = [
      grantId,
      id,
      ROLE,
      RESOURCE,
      REQUESTER,
      '["db:read","db:write"]',
      `["${APPROVER}"]`,
      now,
      now + 900_000,
      'x'.repeat(43),
    ];
    const grantColumns = `id, request_id, role, resource, recipient, actions, approvers, status,
      issued_at, expires_at, kid`;
    if (this.variant === 'pipelined') {
      const params: unknown[] = [...grant];
      await this.expect(
        `WITH u AS (UPDATE access_requests SET status = 'issued', grant_id = $1, deadline_at = NULL
                    WHERE id = $2 AND status = 'approved' RETURNING id),
              g AS (INSERT INTO grants (${grantColumns})
                    SELECT $1, u.id, $3, $4, $5, $6, $7, 'active', $8, $9, $10 FROM u RETURNING id),
              r AS (INSERT INTO grant_revocations (grant_id, due_at, expires_at)
                    SELECT g.id, $9, $9 FROM g)
         ${auditInsert(this.shape.mint, id, grantId, params, 'u')}`,
        params,
        this.shape.mint.length,
      );
      return;
    }
    await this.transaction(async (client) => {
      if (this.variant === 'broker-sql') await this.brokerReads(client, id);
      await client.query(
        `INSERT INTO grants (${grantColumns})
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10)`,
        grant,
      );
      await client.query(
        'INSERT INTO grant_revocations (grant_id, due_at, expires_at) VALUES ($1, $2, $2)',
        [grantId, now + 900_000],
      );
      await this.transition(
        client,
        `UPDATE access_requests SET status = 'issued', grant_id = $3, deadline_at = NULL
         WHERE id = $1 AND status = $2`,
        [id, 'approved', grantId],
      );
      await this.audit(client, this.shape.mint, id, grantId);
    });
  }

  /** One statement that must write `rows` audit rows: fewer means a guard did not hold. */
  private async expect(sql: string, params: unknown[], rows: number): Promise<void> {
    const result = await this.db.query(sql, params);
    if (result.rowCount !== rows) throw new Error('the request was not in the expected state');
  }

  private async transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.db.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  /** What the broker reads before approving or minting: the request, locked, and its approvals. */
  private async brokerReads(client: pg.PoolClient, id: string): Promise<void> {
    await client.query('SELECT * FROM access_requests WHERE id = $1 FOR UPDATE', [id]);
    await client.query('SELECT * FROM approvals WHERE request_id = $1 ORDER BY at, id', [id]);
  }

  private async transition(client: pg.PoolClient, sql: string, params: unknown[]): Promise<void> {
    const result = await client.query(sql, params);
    if (result.rowCount !== 1) throw new Error('the request was not in the expected state');
  }

  private async audit(
    client: pg.PoolClient,
    audits: readonly AuditShape[],
    requestId: string,
    grantId: string | null,
  ): Promise<void> {
    const params: unknown[] = [];
    await client.query(auditInsert(audits, requestId, grantId, params), params);
  }
}
