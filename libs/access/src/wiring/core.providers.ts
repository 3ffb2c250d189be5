import type { Provider } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AuditLog, LogIntegrator, countPending } from '#audit';
import type { AppConfig } from '#config';
import {
  CredentialMinter,
  CredentialVerifier,
  KeyCipher,
  LogKeys,
  SigningKeys,
  SshCertificateAuthority,
} from '#credentials';
import type { Clock } from '#domain';
import { TokenVerifier } from '#identity';
import {
  AdminDashboardRepository,
  BreakGlassRepository,
  FollowUpRepository,
  GrantRepository,
  PasskeyRepository,
  PrincipalGroupsRepository,
  RequestRepository,
  RunOnce,
  UnitOfWork,
  openDatabase,
} from '#persistence';
import { AdminDashboard } from '../admin-dashboard.js';
import { AdminReachJudge } from '../admin-reach.js';
import { AuditQueries } from '../audit-queries.js';
import { ActivateBreakGlass } from '../break-glass/activate.js';
import { EscalateBreakGlass } from '../break-glass/escalate.js';
import { ReviewBreakGlass } from '../break-glass/review.js';
import { ReviewOpener } from '../break-glass/review-opener.js';
import { CancelRequest } from '../cancel-request.js';
import { CreateRequest } from '../create-request.js';
import { DecideRequest } from '../decide-request.js';
import { ExportEvidence } from '../evidence.js';
import { ExpireRequests } from '../expire-requests.js';
import { FollowUps } from '../follow-ups.js';
import { ExtendGrant } from '../extend-grant.js';
import { GrantExtender } from '../grant-extender.js';
import { GrantIssuer } from '../grant-issuer.js';
import { IntrospectCredential } from '../introspect.js';
import { Issuance } from '../issuance.js';
import { MintCredential } from '../mint-credential.js';
import type { RequestNotifier } from '../observer.js';
import { AccessEvents } from '../observer.js';
import { ApprovalSignatures } from '../passkeys/approval-signatures.js';
import { ApplyPolicyChange } from '../policy-change.js';
import { PolicyState } from '../policy-state.js';
import { ShutdownState } from './shutdown.js';
import { AccessQueries } from '../queries.js';
import { RequestLoader } from '../request-loader.js';
import { RevocationList } from '../revocation/revocation-list.js';
import { RevokeGrant } from '../revoke-grant.js';
import { SshAccess } from '../ssh-access.js';
import { auditSinkProviders } from './audit-sinks.providers.js';
import { MetricsService } from './metrics.service.js';
import { PolicyBroadcast } from './policy-broadcast.js';
import { APP_CONFIG, CLOCK, DATA_SOURCE, OBSERVER, REQUEST_NOTIFIER } from './tokens.js';

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
    { provide: AuditLog, useValue: new AuditLog(clock) },
    { provide: PolicyState, useValue: new PolicyState(config) },
    // Readiness turns 503 from the moment a signal asks the process to stop (drainOnSignal).
    ShutdownState,
    // Which replica runs each scheduled task this interval.
    RunOnce,
    {
      provide: TokenVerifier,
      useFactory: (policy: PolicyState) =>
        new TokenVerifier(
          config.issuers,
          (id) => policy.directoryGroups(id),
          config.workloadIssuers,
        ),
      inject: [PolicyState],
    },
    {
      provide: SigningKeys,
      useFactory: (dataSource: DataSource) =>
        new SigningKeys(
          dataSource,
          new KeyCipher(config.encryptionKey),
          config.credentials.algorithm,
          clock,
        ),
      inject: [DATA_SOURCE],
    },
    {
      provide: LogKeys,
      useFactory: (dataSource: DataSource) =>
        new LogKeys(dataSource, new KeyCipher(config.encryptionKey), config.audit.origin, clock),
      inject: [DATA_SOURCE],
    },
    {
      provide: SshCertificateAuthority,
      useFactory: (audit: AuditLog) =>
        new SshCertificateAuthority(new KeyCipher(config.encryptionKey), audit, clock),
      inject: [AuditLog],
    },
    {
      provide: LogIntegrator,
      useFactory: (uow: UnitOfWork, keys: LogKeys, audit: AuditLog, metrics: MetricsService) => {
        const integrator = new LogIntegrator(uow, keys, clock, {
          origin: config.audit.origin,
          checkpointIntervalMs: config.audit.checkpointInterval * 1000,
        });
        audit.onAppended(() => integrator.kick());
        metrics.measureAuditPending(() => uow.read((db) => countPending(db)));
        return integrator;
      },
      inject: [UnitOfWork, LogKeys, AuditLog, MetricsService],
    },
    ...auditSinkProviders(config, clock),
    {
      provide: CredentialMinter,
      useFactory: (keys: SigningKeys) => new CredentialMinter(keys, config.credentials.issuer),
      inject: [SigningKeys],
    },
    {
      provide: CredentialVerifier,
      useFactory: (keys: SigningKeys) => new CredentialVerifier(keys, config.credentials.issuer),
      inject: [SigningKeys],
    },
    // Resolved by their constructors' types.
    MetricsService,
    PolicyBroadcast,
    UnitOfWork,
    RequestRepository,
    GrantRepository,
    BreakGlassRepository,
    PrincipalGroupsRepository,
    AdminReachJudge,
    RequestLoader,
    GrantIssuer,
    GrantExtender,
    Issuance,
    ReviewOpener,
    CreateRequest,
    PasskeyRepository,
    ApprovalSignatures,
    DecideRequest,
    CancelRequest,
    MintCredential,
    ActivateBreakGlass,
    ReviewBreakGlass,
    EscalateBreakGlass,
    ApplyPolicyChange,
    RevokeGrant,
    ExtendGrant,
    AccessQueries,
    AdminDashboard,
    AdminDashboardRepository,
    AuditQueries,
    ExportEvidence,
    RevocationList,
    IntrospectCredential,
    ExpireRequests,
    FollowUpRepository,
    FollowUps,
    SshAccess,
  ];
}
