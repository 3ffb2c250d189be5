import { Injectable } from '@nestjs/common';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { AccessObserver } from '../observer.js';

/** Prometheus metrics. One registry per app instance, so tests can run several brokers in a process. */
@Injectable()
export class MetricsService implements AccessObserver {
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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'countersign_' });
  }

  requestCreated(role: string): void {
    this.requests.inc({ role });
  }

  requestDecided(role: string, outcome: string): void {
    this.decisions.inc({ role, outcome });
  }

  credentialIssued(role: string): void {
    this.issued.inc({ role });
  }

  grantEnded(role: string, status: string): void {
    this.ended.inc({ role, status });
  }
}
