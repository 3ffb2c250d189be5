import type { Provider } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { AccessObserver, RequestNotifier } from '../observer.js';
import { AccessEvents } from '../observer.js';
import { PolicyState } from '../policy-state.js';
import { AccessQueries } from '../queries.js';
import { CancelRequest } from '../cancel-request.js';
import { CreateRequest } from '../create-request.js';
import { DecideRequest } from '../decide-request.js';
import { AdminReachJudge } from '../admin-reach.js';
import type { BreakGlassAlerts } from '../break-glass/alerts.js';
import { BREAK_GLASS_ALERTS } from '../break-glass/alerts.js';
import { ActivateBreakGlass } from '../break-glass/activate.js';
import { EscalateBreakGlass } from '../break-glass/escalate.js';
import { ReviewBreakGlass } from '../break-glass/review.js';
import { ExportEvidence } from '../evidence.js';
import { ApplyPolicyChange } from '../policy-change.js';
import { ExpireRequests } from '../expire-requests.js';
import { GrantIssuer } from '../grant-issuer.js';
import { IntrospectCredential } from '../introspect.js';
import { MintCredential } from '../mint-credential.js';
import { RequestLoader } from '../request-loader.js';
import { RevokeGrant } from '../revoke-grant.js';
import { ProviderRegistry } from '../providers/provider-registry.js';
import { RevocationList } from '../revocation/revocation-list.js';
import { GrantEnder } from '../revocation/end-grants.js';
import type { RevocationScheduler } from '../revocation/revocation-scheduler.js';
import { REVOCATION_SCHEDULER } from './revocation.tokens.js';
import { AuditLog } from '#audit';
import type { AppConfig } from '#config';
import { CredentialMinter, CredentialVerifier, KeyCipher, SigningKeys } from '#credentials';
import type { Clock } from '#domain';
import { TokenVerifier } from '#identity';
import {
  BreakGlassRepository,
  GrantRepository,
  PrincipalGroupsRepository,
  RequestRepository,
  UnitOfWork,
  openDatabase,
} from '#persistence';
import { MetricsService } from './metrics.service.js';

export const APP_CONFIG = 'countersign:config';
export const CLOCK = 'countersign:clock';
export const DATA_SOURCE = 'countersign:data-source';
export const OBSERVER = 'countersign:observer';
/** A RequestNotifier; each app provides one (libs/notify `notifierProviders`). */
export const REQUEST_NOTIFIER = 'countersign:request-notifier';

/** A provider built by a plain constructor call: the libs stay free of Nest decorators. */
function construct<T>(
  token: abstract new (...args: never[]) => T,
  inject: unknown[],
  build: (...deps: never[]) => T,
): Provider {
  return { provide: token, useFactory: build, inject: inject as never[] };
}

/** Everything the broker and the worker share: config, database, policy, keys and use cases. */
export function coreProviders(config: AppConfig, clock: Clock): Provider[] {
  return [
    { provide: APP_CONFIG, useValue: config },
    { provide: CLOCK, useValue: clock },
    { provide: DATA_SOURCE, useFactory: () => openDatabase(config.database) },
    {
      provide: OBSERVER,
      useFactory: (metrics: MetricsService, notifier: RequestNotifier) =>
        new AccessEvents(metrics, notifier),
      inject: [MetricsService, REQUEST_NOTIFIER],
    },
    MetricsService,
    construct(UnitOfWork, [DATA_SOURCE], (ds: DataSource) => new UnitOfWork(ds)),
    { provide: RequestRepository, useValue: new RequestRepository() },
    { provide: GrantRepository, useValue: new GrantRepository() },
    { provide: BreakGlassRepository, useValue: new BreakGlassRepository() },
    { provide: AuditLog, useValue: new AuditLog(clock) },
    { provide: PolicyState, useValue: new PolicyState(config) },
    construct(
      AdminReachJudge,
      [UnitOfWork, PolicyState],
      (uow: UnitOfWork, policy: PolicyState) =>
        new AdminReachJudge(uow, new PrincipalGroupsRepository(), policy, clock, config.issuers),
    ),
    construct(
      TokenVerifier,
      [PolicyState],
      (policy: PolicyState) =>
        new TokenVerifier(
          config.issuers,
          (id) => policy.directoryGroups(id),
          config.workloadIssuers,
        ),
    ),
    construct(
      SigningKeys,
      [DATA_SOURCE],
      (ds: DataSource) =>
        new SigningKeys(
          ds,
          new KeyCipher(config.encryptionKey),
          config.credentials.algorithm,
          clock,
        ),
    ),
    construct(
      CredentialMinter,
      [SigningKeys],
      (keys: SigningKeys) => new CredentialMinter(keys, config.credentials.issuer),
    ),
    construct(
      CredentialVerifier,
      [SigningKeys],
      (keys: SigningKeys) => new CredentialVerifier(keys, config.credentials.issuer),
    ),
    construct(
      RequestLoader,
      [RequestRepository, AuditLog, PolicyState, OBSERVER],
      (
        requests: RequestRepository,
        audit: AuditLog,
        policy: PolicyState,
        observer: AccessObserver,
      ) => new RequestLoader(requests, audit, policy, clock, observer),
    ),
    construct(
      CreateRequest,
      [UnitOfWork, RequestRepository, AuditLog, PolicyState, OBSERVER],
      (
        uow: UnitOfWork,
        requests: RequestRepository,
        audit: AuditLog,
        policy: PolicyState,
        observer: AccessObserver,
      ) => new CreateRequest(uow, requests, audit, policy, clock, observer),
    ),
    construct(
      DecideRequest,
      [
        UnitOfWork,
        RequestRepository,
        RequestLoader,
        AuditLog,
        PolicyState,
        OBSERVER,
        CredentialMinter,
        AdminReachJudge,
      ],
      (
        uow: UnitOfWork,
        requests: RequestRepository,
        loader: RequestLoader,
        audit: AuditLog,
        policy: PolicyState,
        observer: AccessObserver,
        minter: CredentialMinter,
        adminReach: AdminReachJudge,
      ) =>
        new DecideRequest(
          uow,
          requests,
          loader,
          audit,
          policy,
          clock,
          observer,
          minter,
          adminReach,
        ),
    ),
    construct(
      CancelRequest,
      [UnitOfWork, RequestRepository, RequestLoader, AuditLog, OBSERVER],
      (
        uow: UnitOfWork,
        requests: RequestRepository,
        loader: RequestLoader,
        audit: AuditLog,
        observer: AccessObserver,
      ) => new CancelRequest(uow, requests, loader, audit, clock, observer),
    ),
    construct(
      GrantIssuer,
      [RequestRepository, GrantRepository, AuditLog, PolicyState, ProviderRegistry, OBSERVER],
      (
        requests: RequestRepository,
        grants: GrantRepository,
        audit: AuditLog,
        policy: PolicyState,
        providers: ProviderRegistry,
        observer: AccessObserver,
      ) => new GrantIssuer(requests, grants, audit, policy, providers, clock, observer),
    ),
    construct(
      MintCredential,
      [
        UnitOfWork,
        RequestRepository,
        RequestLoader,
        AuditLog,
        PolicyState,
        CredentialMinter,
        GrantIssuer,
        REVOCATION_SCHEDULER,
      ],
      (
        uow: UnitOfWork,
        requests: RequestRepository,
        loader: RequestLoader,
        audit: AuditLog,
        policy: PolicyState,
        minter: CredentialMinter,
        issuer: GrantIssuer,
        scheduler: RevocationScheduler,
      ) =>
        new MintCredential(uow, requests, loader, audit, policy, minter, issuer, scheduler, clock),
    ),
    construct(
      ActivateBreakGlass,
      [
        UnitOfWork,
        RequestRepository,
        BreakGlassRepository,
        AuditLog,
        PolicyState,
        CredentialMinter,
        GrantIssuer,
        REVOCATION_SCHEDULER,
        BREAK_GLASS_ALERTS,
        OBSERVER,
      ],
      (
        uow: UnitOfWork,
        requests: RequestRepository,
        reviews: BreakGlassRepository,
        audit: AuditLog,
        policy: PolicyState,
        minter: CredentialMinter,
        issuer: GrantIssuer,
        scheduler: RevocationScheduler,
        alerts: BreakGlassAlerts,
        observer: AccessObserver,
      ) =>
        new ActivateBreakGlass(
          uow,
          requests,
          reviews,
          audit,
          policy,
          minter,
          issuer,
          scheduler,
          alerts,
          clock,
          observer,
        ),
    ),
    construct(
      ReviewBreakGlass,
      [
        UnitOfWork,
        RequestRepository,
        BreakGlassRepository,
        RequestLoader,
        AuditLog,
        PolicyState,
        OBSERVER,
      ],
      (
        uow: UnitOfWork,
        requests: RequestRepository,
        reviews: BreakGlassRepository,
        loader: RequestLoader,
        audit: AuditLog,
        policy: PolicyState,
        observer: AccessObserver,
      ) => new ReviewBreakGlass(uow, requests, reviews, loader, audit, policy, clock, observer),
    ),
    construct(
      EscalateBreakGlass,
      [
        UnitOfWork,
        RequestRepository,
        BreakGlassRepository,
        AuditLog,
        PolicyState,
        BREAK_GLASS_ALERTS,
        OBSERVER,
      ],
      (
        uow: UnitOfWork,
        requests: RequestRepository,
        reviews: BreakGlassRepository,
        audit: AuditLog,
        policy: PolicyState,
        alerts: BreakGlassAlerts,
        observer: AccessObserver,
      ) => new EscalateBreakGlass(uow, requests, reviews, audit, policy, alerts, clock, observer),
    ),
    construct(
      ApplyPolicyChange,
      [
        UnitOfWork,
        RequestRepository,
        GrantRepository,
        RequestLoader,
        AuditLog,
        PolicyState,
        GrantEnder,
      ],
      (
        uow: UnitOfWork,
        requests: RequestRepository,
        grants: GrantRepository,
        loader: RequestLoader,
        audit: AuditLog,
        policy: PolicyState,
        ender: GrantEnder,
      ) => new ApplyPolicyChange(uow, requests, grants, loader, audit, policy, ender, clock),
    ),
    construct(
      RevokeGrant,
      [UnitOfWork, GrantRepository, AuditLog, PolicyState, GrantEnder, REVOCATION_SCHEDULER],
      (
        uow: UnitOfWork,
        grants: GrantRepository,
        audit: AuditLog,
        policy: PolicyState,
        ender: GrantEnder,
        scheduler: RevocationScheduler,
      ) => new RevokeGrant(uow, grants, audit, policy, ender, scheduler, clock),
    ),
    construct(
      AccessQueries,
      [UnitOfWork, RequestRepository, GrantRepository, AuditLog, PolicyState, BreakGlassRepository],
      (
        uow: UnitOfWork,
        requests: RequestRepository,
        grants: GrantRepository,
        audit: AuditLog,
        policy: PolicyState,
        reviews: BreakGlassRepository,
      ) => new AccessQueries(uow, requests, grants, audit, policy, clock, reviews),
    ),
    construct(
      ExportEvidence,
      [UnitOfWork, RequestRepository, GrantRepository, AuditLog, PolicyState, CredentialMinter],
      (
        uow: UnitOfWork,
        requests: RequestRepository,
        grants: GrantRepository,
        audit: AuditLog,
        policy: PolicyState,
        minter: CredentialMinter,
      ) => new ExportEvidence(uow, requests, grants, audit, policy, minter),
    ),
    construct(
      RevocationList,
      [UnitOfWork, GrantRepository, CredentialMinter],
      (uow: UnitOfWork, grants: GrantRepository, minter: CredentialMinter) =>
        new RevocationList(uow, grants, minter, clock),
    ),
    construct(
      IntrospectCredential,
      [UnitOfWork, GrantRepository, CredentialVerifier],
      (uow: UnitOfWork, grants: GrantRepository, verifier: CredentialVerifier) =>
        new IntrospectCredential(uow, grants, verifier, clock),
    ),
    construct(
      ExpireRequests,
      [UnitOfWork, RequestRepository, RequestLoader],
      (uow: UnitOfWork, requests: RequestRepository, loader: RequestLoader) =>
        new ExpireRequests(uow, requests, loader, clock),
    ),
  ];
}
