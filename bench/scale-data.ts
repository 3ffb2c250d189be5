import { performance } from 'node:perf_hooks';
import pg from 'pg';

// The grants of bench/scale.ts, built with SQL alone: a million mints through the API would take
// hours. Each grant has what a mint leaves behind in the tables the broker reads (its request,
// issued; the approval by a distinct approver; the grant, active; its revocation owed at expiry),
// so the sweep, the admin views and the expiry path cannot tell them from minted ones. Not built:
// their audit events (a hash chain; nothing here reads it) and approval receipts (nullable, as on
// approvals from before receipts).

export const SCALE_ROLE = 'scale-read';
export const SCALE_RESOURCE = 'https://scale.example.com';
export const SCALE_APPROVER_GROUP = 'sre-leads';
const RECIPIENTS = 10_000;
const APPROVERS = 50;

export interface GrantSpread {
  grants: number;
  /** The first expiry (epoch ms); the others follow evenly over `hours`. */
  firstExpiry: number;
  hours: number;
  /** The broker's signing key, as a JWT grant records it. */
  kid: string;
  /** Every grant was issued in the hour before this instant (epoch ms). */
  now: number;
}

/**
 * The seed: one row per grant with its ids and instants. Each was issued in the hour before now
 * (requested two minutes and approved one minute earlier) for a whole number of seconds, up to
 * `hours` + 1 h past `now`; its expiry is `firstExpiry` + i·span/N.
 */
const SEED = `
  CREATE TEMP TABLE scale_seed AS
  SELECT i, gen_random_uuid()::varchar AS request_id, gen_random_uuid()::varchar AS grant_id,
         gen_random_uuid()::varchar AS approval_id,
         'corp:user-' || (i % ${RECIPIENTS}) AS recipient,
         'corp:approver-' || (i % ${APPROVERS}) AS approver,
         issued_at, duration, issued_at + duration * 1000 AS expires_at
    FROM (SELECT i, expiry - duration * 1000 AS issued_at, duration
            FROM (SELECT i, expiry, (ceil((expiry - $4::bigint) / 1000.0) + i % 3600)::int AS duration
                    FROM (SELECT i, $2::bigint + floor(i::float8 * $3::float8 / $1::int)::bigint AS expiry
                            FROM generate_series(0, $1::int - 1) AS i) e) d) s`;

const REQUESTS = `
  INSERT INTO access_requests (id, role, resource, requester, recipient, justification,
      duration_seconds, status, approvals_required, created_at, deadline_at, decided_at, grant_id,
      intent, break_glass, act, requester_groups)
  SELECT request_id, '${SCALE_ROLE}', '${SCALE_RESOURCE}', recipient, recipient, 'scale bench',
         duration, 'issued', 1, issued_at - 120000, NULL, issued_at - 60000, grant_id,
         NULL, false, NULL, '["engineering"]'
    FROM scale_seed`;

const APPROVALS = `
  INSERT INTO approvals (id, request_id, approver, comment, at, admin_reach, token_groups, receipt)
  SELECT approval_id, request_id, approver, NULL, issued_at - 60000, false,
         '["${SCALE_APPROVER_GROUP}"]', NULL
    FROM scale_seed`;

const GRANTS = `
  INSERT INTO grants (id, request_id, role, resource, recipient, actions, approvers, status,
      issued_at, expires_at, ended_at, revoked_reason, revoked_by, revocation_failures,
      next_revocation_at, kid, break_glass, act)
  SELECT grant_id, request_id, '${SCALE_ROLE}', '${SCALE_RESOURCE}', recipient, '["read"]',
         '["' || approver || '"]', 'active', issued_at, expires_at, NULL, NULL, NULL, 0,
         NULL, $1, false, NULL
    FROM scale_seed`;

/**
 * What each column of grant_revocations takes from the seed: the revocation is owed at expiry. The
 * table's columns are read from the database, so that a migration adding one the seed knows
 * (`expires_at`) needs no change here, and one it does not know stops the run by name.
 */
const REVOCATION_VALUES: Readonly<Record<string, string>> = {
  grant_id: 'grant_id',
  due_at: 'expires_at',
  expires_at: 'expires_at',
};

async function revocationsInsert(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ column_name: string; required: boolean }>(
    `SELECT column_name, is_nullable = 'NO' AND column_default IS NULL AS required
       FROM information_schema.columns WHERE table_name = 'grant_revocations'`,
  );
  const columns = rows.filter((row) => REVOCATION_VALUES[row.column_name] !== undefined);
  const unknown = rows.find((row) => row.required && !REVOCATION_VALUES[row.column_name]);
  if (unknown) throw new Error(`grant_revocations.${unknown.column_name}: unknown to the seed`);
  const names = columns.map((row) => row.column_name);
  return `INSERT INTO grant_revocations (${names.join(', ')})
    SELECT ${names.map((name) => REVOCATION_VALUES[name]).join(', ')} FROM scale_seed`;
}

/** The signing key a broker created at its first start: the one grants are issued under. */
export async function currentKid(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ kid: string }>(
      'SELECT kid FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1',
    );
    if (!rows[0]) throw new Error('no signing key: has a broker started on this database?');
    return rows[0].kid;
  } finally {
    await client.end();
  }
}

/** Inserts the grants in one transaction, then ANALYZE; returns the seconds each part took. */
export async function buildGrants(
  databaseUrl: string,
  spread: GrantSpread,
): Promise<{ insertS: number; analyzeS: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const started = performance.now();
    await client.query('BEGIN');
    await client.query(SEED, [
      spread.grants,
      spread.firstExpiry,
      spread.hours * 3_600_000,
      spread.now,
    ]);
    for (const sql of [REQUESTS, APPROVALS]) await client.query(sql);
    await client.query(GRANTS, [spread.kid]);
    await client.query(await revocationsInsert(client));
    await client.query('DROP TABLE scale_seed');
    await client.query('COMMIT');
    const inserted = performance.now();
    await client.query('ANALYZE');
    return {
      insertS: (inserted - started) / 1000,
      analyzeS: (performance.now() - inserted) / 1000,
    };
  } finally {
    await client.end();
  }
}

/** Distinct 50 ms expiry buckets still to come: the jobs a schedule of every future expiry holds. */
export async function bucketsOwed(databaseUrl: string, now: number): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(DISTINCT (due_at + 49) / 50) AS n FROM grant_revocations WHERE due_at > $1',
      [now],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
