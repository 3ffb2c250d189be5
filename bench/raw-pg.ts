import { createHash, randomUUID } from 'node:crypto';
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
 * `writes`: only the broker's inserts and updates, one transaction per step, audit seq and hash
 * chain kept in memory. `broker-sql`: the broker's whole statement sequence on PostgreSQL, i.e.
 * also the row lock and approvals read, and per audit append the advisory lock and head read.
 * `batched-audit`: the broker's reads and writes, but each transaction's audit rows are appended
 * together just before COMMIT (one advisory lock, one head read, one multi-row insert), so the
 * chain lock is held for three statements and the commit instead of most of the transaction.
 */
export type RawVariant = 'writes' | 'broker-sql' | 'batched-audit';

// The same advisory lock key as libs/audit/src/audit-log.ts.
const AUDIT_APPEND_LOCK = 0x636f756e;
const GENESIS_HASH = '0'.repeat(64);
const REQUESTER = 'corp:alice';
const APPROVER = 'corp:bob';
const ROLE = 'prod-db-admin';
const RESOURCE = 'postgres://prod/payments';

export interface StepTimes {
  flowMs: number;
  mintMs: number;
}

interface Tx {
  client: pg.PoolClient;
  /** Audit rows waiting for the end of the transaction (`batched-audit`). */
  pending: { requestId: string; grantId: string | null; audit: AuditShape }[];
}

export class RawFlows {
  private seq = 0;
  private head = GENESIS_HASH;
  private pool?: pg.Pool;

  constructor(
    private readonly shape: FlowShape,
    private readonly variant: RawVariant,
  ) {}

  /** Runs the next flows on `pool`, continuing the chain already in the database. */
  async attach(pool: pg.Pool): Promise<void> {
    this.pool = pool;
    const last = await pool.query<{ seq: string; hash: string }>(
      'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
    );
    this.seq = Number(last.rows[0]?.seq ?? 0);
    this.head = last.rows[0]?.hash ?? GENESIS_HASH;
  }

  private get readsLikeBroker(): boolean {
    return this.variant !== 'writes';
  }

  async flow(): Promise<StepTimes> {
    const started = performance.now();
    const id = randomUUID();
    await this.transaction(async (tx) => {
      const now = Date.now();
      await tx.client.query(
        `INSERT INTO access_requests (id, role, resource, requester, recipient, justification,
           duration_seconds, status, approvals_required, created_at, deadline_at, decided_at, grant_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 1, $8, $9, NULL, NULL)`,
        [id, ROLE, RESOURCE, REQUESTER, REQUESTER, 'bench', 900, now, now + 86_400_000],
      );
      for (const audit of this.shape.create) await this.append(tx, id, null, audit);
    });
    await this.transaction(async (tx) => {
      const [policy, recorded, ...after] = this.shape.approve;
      if (this.readsLikeBroker) await this.lockRequest(tx, id);
      if (policy) await this.append(tx, id, null, policy);
      if (this.readsLikeBroker) await this.approvals(tx, id);
      const now = Date.now();
      await tx.client.query(
        `INSERT INTO approvals (id, request_id, approver, comment, at, admin_reach, token_groups)
         VALUES ($1, $2, $3, NULL, $4, false, $5)`,
        [randomUUID(), id, APPROVER, now, '["sre-leads"]'],
      );
      if (recorded) await this.append(tx, id, null, recorded);
      await this.transition(tx, id, 'pending', {
        status: 'approved',
        decided_at: now,
        deadline_at: now + 900_000,
      });
      for (const audit of after) await this.append(tx, id, null, audit);
    });
    const mintStarted = performance.now();
    await this.transaction(async (tx) => {
      const [policy, ...rest] = this.shape.mint;
      if (this.readsLikeBroker) {
        await this.lockRequest(tx, id);
        await this.approvals(tx, id);
      }
      if (policy) await this.append(tx, id, null, policy);
      const grantId = randomUUID();
      const now = Date.now();
      await tx.client.query(
        `INSERT INTO grants (id, request_id, role, resource, recipient, actions, approvers, status,
           issued_at, expires_at, ended_at, revoked_reason, revoked_by, kid)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, NULL, NULL, NULL, $10)`,
        [
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
        ],
      );
      await tx.client.query('INSERT INTO grant_revocations (grant_id, due_at) VALUES ($1, $2)', [
        grantId,
        now + 900_000,
      ]);
      await this.transition(tx, id, 'approved', {
        status: 'issued',
        grant_id: grantId,
        deadline_at: null,
      });
      for (const audit of rest) await this.append(tx, id, grantId, audit);
    });
    const ended = performance.now();
    return { flowMs: ended - started, mintMs: ended - mintStarted };
  }

  private async transaction(work: (tx: Tx) => Promise<void>): Promise<void> {
    if (!this.pool) throw new Error('attach a pool first');
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const tx: Tx = { client, pending: [] };
      await work(tx);
      if (tx.pending.length > 0) await this.flush(tx);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  private async lockRequest(tx: Tx, id: string): Promise<void> {
    await tx.client.query('SELECT * FROM access_requests WHERE id = $1 FOR UPDATE', [id]);
  }

  private async approvals(tx: Tx, id: string): Promise<void> {
    await tx.client.query(
      'SELECT * FROM approvals WHERE request_id IN ($1) ORDER BY at ASC, id ASC',
      [id],
    );
  }

  private async transition(
    tx: Tx,
    id: string,
    from: string,
    patch: Record<string, string | number | null>,
  ): Promise<void> {
    const columns = Object.keys(patch);
    const sets = columns.map((column, i) => `${column} = $${i + 3}`).join(', ');
    const result = await tx.client.query(
      `UPDATE access_requests SET ${sets} WHERE id = $1 AND status = $2`,
      [id, from, ...Object.values(patch)],
    );
    if (result.rowCount !== 1) throw new Error(`request ${id} was not ${from}`);
  }

  private async append(
    tx: Tx,
    requestId: string,
    grantId: string | null,
    audit: AuditShape,
  ): Promise<void> {
    if (this.variant === 'batched-audit') {
      tx.pending.push({ requestId, grantId, audit });
      return;
    }
    let seq: number;
    let prevHash: string;
    if (this.variant === 'broker-sql') {
      ({ seq, prevHash } = await this.lockedHead(tx));
    } else {
      seq = ++this.seq;
      prevHash = this.head;
    }
    const row = this.row(seq, prevHash, requestId, grantId, audit);
    if (this.variant === 'writes') this.head = row[9];
    await tx.client.query(
      `INSERT INTO audit_events (seq, id, at, type, actor, request_id, grant_id, data, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      row,
    );
  }

  /** `batched-audit`: the transaction's audit rows in one insert, under one lock, before COMMIT. */
  private async flush(tx: Tx): Promise<void> {
    let { seq, prevHash } = await this.lockedHead(tx);
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const { requestId, grantId, audit } of tx.pending) {
      const row = this.row(seq, prevHash, requestId, grantId, audit);
      const base = values.length;
      tuples.push(`(${row.map((_, i) => `$${base + i + 1}`).join(', ')})`);
      values.push(...row);
      seq += 1;
      prevHash = row[9];
    }
    await tx.client.query(
      `INSERT INTO audit_events (seq, id, at, type, actor, request_id, grant_id, data, prev_hash, hash)
       VALUES ${tuples.join(', ')}`,
      values,
    );
  }

  private async lockedHead(tx: Tx): Promise<{ seq: number; prevHash: string }> {
    await tx.client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK]);
    const head = await tx.client.query<{ seq: string; hash: string }>(
      'SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1',
    );
    return {
      seq: Number(head.rows[0]?.seq ?? 0) + 1,
      prevHash: head.rows[0]?.hash ?? GENESIS_HASH,
    };
  }

  /** An audit row as query parameters: seq, id, at, type, actor, request, grant, data, prev, hash. */
  private row(
    seq: number,
    prevHash: string,
    requestId: string,
    grantId: string | null,
    audit: AuditShape,
  ): [number, string, number, string, string, string, string | null, string, string, string] {
    const hash = createHash('sha256')
      .update(prevHash + String(seq) + audit.type + audit.data)
      .digest('hex');
    return [
      seq,
      randomUUID(),
      Date.now(),
      audit.type,
      audit.actor,
      requestId,
      grantId,
      audit.data,
      prevHash,
      hash,
    ];
  }
}
