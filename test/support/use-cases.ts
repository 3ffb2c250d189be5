import { randomBytes } from 'node:crypto';
import type { Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
// The files themselves, not '#access': its index also loads BullMQ and the queue wiring, which a
// use-case spec does not need and would take a second to import.
import { BREAK_GLASS_ALERTS } from '../../libs/access/src/break-glass/alerts.js';
import { silentNotifier } from '../../libs/access/src/observer.js';
import { PolicyState } from '../../libs/access/src/policy-state.js';
import { ProviderRegistry } from '../../libs/access/src/providers/provider-registry.js';
import { GrantEnder } from '../../libs/access/src/revocation/end-grants.js';
import type { RevocationScheduler } from '../../libs/access/src/revocation/revocation-scheduler.js';
import { coreProviders } from '../../libs/access/src/wiring/core.providers.js';
import { DatabaseLifecycle } from '../../libs/access/src/wiring/database-lifecycle.js';
import { REQUEST_NOTIFIER, REVOCATION_SCHEDULER } from '../../libs/access/src/wiring/tokens.js';
import { AuditLog } from '#audit';
import type { AuditEvent } from '#audit';
import { parseConfig } from '#config';
import { SigningKeys } from '#credentials';
import type { Clock } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import { UnitOfWork } from '#persistence';
import { freshDatabase } from './databases.js';

/** Two roles: one approval, and two approvals from distinct people; frank has a second identity. */
const USE_CASE_CONFIG = `
publicUrl: http://127.0.0.1:3999
separation: strict
auth:
  issuers:
    - name: corp
      issuer: https://issuer.example.com
      jwksUri: https://issuer.example.com/jwks.json
      audience: countersign
      groupsClaim: groups
aliases:
  - ["corp:frank", "corp:frank.alt"]
policy:
  admins: { groups: [security] }
  roles:
    - name: prod-db-admin
      resource: postgres://prod/payments
      actions: [db:read, db:write]
      maxDuration: 1h
      defaultDuration: 15m
      redeemWithin: 15m
      requestTimeout: 24h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      approvalsRequired: 1
    - name: two-person
      resource: https://deploy.example.com
      actions: [deploy:create]
      maxDuration: 30m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      approvalsRequired: 2
`;

/** A person of the `corp` issuer, authenticated with a token that carried these groups. */
export function person(name: string, groups: string[] = []): AuthenticatedPrincipal {
  return { id: `corp:${name}`, groups, tokenGroups: groups, tokenGroupsKnown: true };
}

export interface UseCases {
  get<T>(type: Type<T>): T;
  /** The instants the revocation scheduler was asked for, in order. */
  scheduled: Date[];
  /** Every audit event of a request, oldest first. */
  events(requestId: string): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

/**
 * The libs/access use cases wired as both apps wire them (`coreProviders`), on a fresh SQLite
 * database, with the caller's clock; no HTTP, no queue (revocations are only recorded as asked).
 */
export async function startUseCases(clock: Clock): Promise<UseCases> {
  const database = await freshDatabase('sqlite');
  const config = parseConfig(USE_CASE_CONFIG, {
    DATABASE_URL: database.url,
    COUNTERSIGN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  });
  const scheduled: Date[] = [];
  const scheduler: RevocationScheduler = {
    horizonMs: 60_000,
    schedule: (instants) => Promise.resolve(void scheduled.push(...instants)),
    reconcile: () => Promise.resolve(),
    release: () => Promise.resolve(),
  };
  const module = await Test.createTestingModule({
    providers: [
      ...coreProviders(config, clock),
      { provide: REQUEST_NOTIFIER, useValue: silentNotifier },
      { provide: BREAK_GLASS_ALERTS, useValue: { send: () => undefined } },
      { provide: REVOCATION_SCHEDULER, useValue: scheduler },
      {
        provide: ProviderRegistry,
        useFactory: (policy: PolicyState) => new ProviderRegistry(policy),
        inject: [PolicyState],
      },
      GrantEnder,
      DatabaseLifecycle,
    ],
  }).compile();
  await module.get(SigningKeys).ensureActiveKey();
  const uow = module.get(UnitOfWork);
  const audit = module.get(AuditLog);
  return {
    get: (type) => module.get(type),
    scheduled,
    events: (requestId) => uow.read((db) => audit.list(db, { requestId, limit: 100 })),
    close: async () => {
      await module.close();
      await database.drop();
    },
  };
}
