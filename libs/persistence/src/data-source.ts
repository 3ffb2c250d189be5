import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '#config';
import { migrations } from '#migrations';
import { AccessRequestRow } from './entities/access-request.entity.js';
import { ApprovalRow } from './entities/approval.entity.js';
import { AuditEventRow } from './entities/audit-event.entity.js';
import { AuditHeadRow } from './entities/audit-head.entity.js';
import { AuditCheckpointRow } from './entities/audit-checkpoint.entity.js';
import { BreakGlassReviewRow } from './entities/break-glass-review.entity.js';
import { GrantRow } from './entities/grant.entity.js';
import { GrantEndWarningRow } from './entities/grant-end-warning.entity.js';
import { GrantRevocationRow } from './entities/grant-revocation.entity.js';
import { LogKeyRow } from './entities/log-key.entity.js';
import {
  NotificationRow,
  PrincipalEmailRow,
  SlackDirectMessageRow,
} from './entities/notification.entity.js';
import { PasskeyRow, WebAuthnChallengeRow } from './entities/passkey.entity.js';
import { RevokedCredentialRow } from './entities/revoked-credential.entity.js';
import { PrincipalGroupsRow } from './entities/principal-groups.entity.js';
import { SigningKeyRow } from './entities/signing-key.entity.js';
import { ServiceAccountRow } from './entities/service-account.entity.js';
import { SlackMessageRow } from './entities/slack-message.entity.js';
import { SshCaKeyRow } from './entities/ssh-ca-key.entity.js';
import { SshCertificateRow } from './entities/ssh-certificate.entity.js';
import { WebLoginRow, WebSessionRow } from './entities/web-session.entity.js';
import { runMigrationsExclusively } from './migration-lock.js';

export const entities = [
  AccessRequestRow,
  ApprovalRow,
  GrantRow,
  GrantRevocationRow,
  RevokedCredentialRow,
  AuditEventRow,
  AuditHeadRow,
  AuditCheckpointRow,
  SigningKeyRow,
  LogKeyRow,
  SlackMessageRow,
  WebSessionRow,
  WebLoginRow,
  ServiceAccountRow,
  PrincipalGroupsRow,
  BreakGlassReviewRow,
  NotificationRow,
  SlackDirectMessageRow,
  PrincipalEmailRow,
  GrantEndWarningRow,
  PasskeyRow,
  WebAuthnChallengeRow,
  SshCaKeyRow,
  SshCertificateRow,
];

/** The data source for either database. `synchronize` is off everywhere: migrations own the schema. */
export function createDataSource(database: DatabaseConfig): DataSource {
  const common = {
    entities,
    migrations,
    synchronize: false,
    migrationsRun: false,
    logging: false,
  } as const;
  if (database.type === 'postgres') {
    return new DataSource({
      ...common,
      type: 'postgres',
      url: database.url,
      poolSize: 20,
      // The longest a query waits for a connection, a free one from a full pool or a new one from a
      // server that does not answer: past it the request fails (503) instead of hanging. No
      // statement_timeout: waits for the migration and audit advisory locks are legitimately long.
      connectTimeoutMS: 5000,
    });
  }
  if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true });
  return new DataSource({
    ...common,
    type: 'better-sqlite3',
    database: database.path,
    enableWAL: database.path !== ':memory:',
    timeout: 5000,
  });
}

/**
 * Opens the connection and applies pending migrations, each in its own transaction, one process
 * at a time on PostgreSQL. A failure closes every connection (and with them a lock still held).
 */
export async function openDatabase(database: DatabaseConfig): Promise<DataSource> {
  const dataSource = createDataSource(database);
  await dataSource.initialize();
  try {
    await runMigrationsExclusively(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}
