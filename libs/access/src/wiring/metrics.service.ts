import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AccessMetrics, BreakGlassEvent } from '../observer.js';
import type { ExpirySource } from '../revocation/end-grants.js';
import { TIMED_OUT, waitAtMost } from '../wait-at-most.js';

// How long a scrape waits for the revocation queue's counts: Redis may be hung or away.
const QUEUE_DEPTH_WAIT_MS = 1000;

/** The source's answer, or undefined when it fails or takes longer than `ms`. */
async function answerWithin<T>(source: () => Promise<T>, ms: number): Promise<T | undefined> {
  const answer = await waitAtMost(
    source().catch(() => undefined),
    ms,
  );
  return answer === TIMED_OUT ? undefined : answer;
}

/** Prometheus metrics. One registry per app instance, so tests can run several brokers in a process. */
@Injectable()
export class MetricsService implements AccessMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'countersign_requests_created_total',
    help: 'Access requests created',
    labelNames: ['role'],
    registers: [this.registry],
  });
  private readonly decisions = new Counter({
    name: 'countersign_requests_decided_total',
    help: 'Access requests that reached a decision',
    labelNames: ['role', 'outcome'],
    registers: [this.registry],
  });
  private readonly issued = new Counter({
    name: 'countersign_credentials_issued_total',
    help: 'Credentials minted',
    labelNames: ['role'],
    registers: [this.registry],
  });
  private readonly ended = new Counter({
    name: 'countersign_grants_ended_total',
    help: 'Grants ended by revocation or at expiry',
    labelNames: ['role', 'status'],
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'countersign_refusals_total',
    help: 'Refused calls by error code',
    labelNames: ['code'],
    registers: [this.registry],
  });

  private readonly lag = new Histogram({
    name: 'countersign_revocation_lag_seconds',
    help: "Seconds from a grant's expiresAt to its revocation",
    labelNames: ['source'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly sweeperPickups = new Counter({
    name: 'countersign_revocation_sweeper_pickups_total',
    help: 'Grants ended by the database sweep: each one means the fast path (job or timer) missed',
    registers: [this.registry],
  });
  private readonly failures = new Counter({
    name: 'countersign_revocation_failures_total',
    help: 'Provider revocations that failed (each is retried with backoff until it succeeds)',
    labelNames: ['role'],
    registers: [this.registry],
  });
  private readonly breakGlassEvents = new Counter({
    name: 'countersign_break_glass_total',
    help: 'Break-glass activations, escalations of unreviewed ones, and reviews',
    labelNames: ['role', 'event'],
    registers: [this.registry],
  });
  private readonly unauthenticatedRequests = new Counter({
    name: 'countersign_unauthenticated_total',
    help: 'Requests refused before anyone was authenticated: failed authentications by kind, and rate_limited for an address over its budget of them',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  // Registered at this process's first verification (AuditVerifyTask): a replica that never
  // verified (another holds the turn) exports neither, rather than a 0 that reads as a failure.
  private readonly auditVerified = new Gauge({
    name: 'countersign_audit_verified',
    help: 'The last verification of the whole audit log by this process: 1 it verified, 0 it is broken',
    registers: [],
  });
  private readonly auditVerifiedAt = new Gauge({
    name: 'countersign_audit_verified_timestamp_seconds',
    help: 'When this process last verified the whole audit log (Unix time)',
    registers: [],
  });
  private overdueSource?: () => Promise<number>;
  private queueDepthSource?: () => Promise<Record<string, number>>;
  private auditSinkLagSource?: () => Promise<Record<string, number>>;
  private auditPendingSource?: () => Promise<number>;
  private policyHashSource?: () => string;

  constructor() {
    const overdue: Gauge = new Gauge({
      name: 'countersign_grants_overdue',
      help: 'Active grants past their expiry: revocation is late or failing',
      registers: [this.registry],
      collect: async () => {
        if (this.overdueSource) overdue.set(await this.overdueSource());
      },
    });
    const queueJobs: Gauge = new Gauge({
      name: 'countersign_revocation_queue_jobs',
      help: 'Jobs in the BullMQ revocations queue by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect: async () => {
        if (!this.queueDepthSource) return;
        // Without Redis, no series rather than a scrape that waits for it or stale counts.
        const counts = await answerWithin(this.queueDepthSource, QUEUE_DEPTH_WAIT_MS);
        queueJobs.reset();
        for (const [state, count] of Object.entries(counts ?? {})) queueJobs.set({ state }, count);
      },
    });
    const auditSinkLag: Gauge = new Gauge({
      name: 'countersign_audit_sink_lag_events',
      help: 'Integrated audit events not yet delivered to each audit sink',
      labelNames: ['sink'],
      registers: [this.registry],
      collect: async () => {
        if (!this.auditSinkLagSource) return;
        for (const [sink, lag] of Object.entries(await this.auditSinkLagSource()))
          auditSinkLag.set({ sink }, lag);
      },
    });
    const auditPending: Gauge = new Gauge({
      name: 'countersign_audit_pending_events',
      help: 'Committed audit events not yet integrated into the log: growing means integration is failing',
      registers: [this.registry],
      collect: async () => {
        if (this.auditPendingSource) auditPending.set(await this.auditPendingSource());
      },
    });
    // Info-style: one series, the hash in force, so alerts can compare replicas by label.
    const policyInfo: Gauge = new Gauge({
      name: 'countersign_policy_info',
      help: 'The policy this process enforces: 1, labelled with its hash (docs/policy-changes.md)',
      labelNames: ['hash'],
      registers: [this.registry],
      collect: () => {
        if (!this.policyHashSource) return;
        policyInfo.reset();
        policyInfo.set({ hash: this.policyHashSource() }, 1);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'countersign_' });
  }

  requestCreated(role: string): void {
    this.requests.inc({ role });
  }

  breakGlass(role: string, event: BreakGlassEvent): void {
    this.breakGlassEvents.inc({ role, event });
  }

  requestDecided(role: string, outcome: string): void {
    this.decisions.inc({ role, outcome });
  }

  credentialIssued(role: string): void {
    this.issued.inc({ role });
  }

  grantEnded(
    role: string,
    status: string,
    expiry?: { lagSeconds: number; source: ExpirySource },
  ): void {
    this.ended.inc({ role, status });
    if (!expiry) return;
    this.lag.observe({ source: expiry.source }, Math.max(0, expiry.lagSeconds));
    if (expiry.source === 'sweep') this.sweeperPickups.inc();
  }

  revocationFailed(role: string): void {
    this.failures.inc({ role });
  }

  /** One refused unauthenticated request; `reason` is one of a fixed few (the HTTP layer's). */
  unauthenticated(reason: string): void {
    this.unauthenticatedRequests.inc({ reason });
  }

  auditLogVerified(ok: boolean, at: Date): void {
    if (!this.registry.getSingleMetric('countersign_audit_verified')) {
      this.registry.registerMetric(this.auditVerified);
      this.registry.registerMetric(this.auditVerifiedAt);
    }
    this.auditVerified.set(ok ? 1 : 0);
    this.auditVerifiedAt.set(at.getTime() / 1000);
  }

  /** Gauges read at scrape time from whoever owns the numbers (database, queue). */
  measureOverdue(source: () => Promise<number>): void {
    this.overdueSource = source;
  }

  measureQueueDepth(source: () => Promise<Record<string, number>>): void {
    this.queueDepthSource = source;
  }

  measureAuditSinkLag(source: () => Promise<Record<string, number>>): void {
    this.auditSinkLagSource = source;
  }

  measureAuditPending(source: () => Promise<number>): void {
    this.auditPendingSource = source;
  }

  measurePolicyHash(source: () => string): void {
    this.policyHashSource = source;
  }
}
