import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { AppConfig } from '#config';
import type { Clock, Principal } from '#domain';
import { DomainError, checkAdmin, notFound, principalKind, serviceAccountPrincipal } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import { apiKeyId, apiKeyMatches, issueApiKey } from '#identity';
import type { ServiceAccountRow, Tx } from '#persistence';
import {
  Refusal,
  ServiceAccountRepository,
  ServiceAccountRow as Row,
  UnitOfWork,
  isUniqueViolation,
} from '#persistence';
import { refuseDecision } from './audit-helpers.js';
import { PolicyState } from './policy-state.js';
import type { ServiceAccountView } from './service-account-view.js';
import { toServiceAccountView } from './service-account-view.js';
import { APP_CONFIG, CLOCK } from './wiring/tokens.js';

export interface CreateServiceAccount {
  name: string;
  owner: string;
  description?: string;
  groups?: string[];
  /** Seconds until the key stops working; none: until rotated or disabled. */
  keyExpiresIn?: number;
}

/** The one answer that carries the key: it is never stored, logged or shown again. */
export type ServiceAccountWithKey = ServiceAccountView & { key: string };

// A key use is recorded at most this often, so authentication stays (almost always) a read.
const LAST_USED_GRANULARITY_MS = 60_000;

const unauthenticated = () => new DomainError('unauthenticated', 'invalid API key');

/**
 * Service accounts with API keys (docs/identity.md): admins create, rotate and disable them; each
 * is `local:<name>`, owned by a person, and its owner joins the ownership graph at once.
 */
@Injectable()
export class ServiceAccounts {
  /** Names of the issuers of people (kind oidc): a service account's owner is one of theirs. */
  private readonly personIssuers: readonly string[];

  constructor(
    private readonly uow: UnitOfWork,
    private readonly accounts: ServiceAccountRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'issuers'>,
  ) {
    this.personIssuers = config.issuers.map((issuer) => issuer.name);
  }

  async create(admin: Principal, input: CreateServiceAccount): Promise<ServiceAccountWithKey> {
    const issued = issueApiKey();
    const now = this.clock.now();
    let row: ServiceAccountRow;
    try {
      row = await this.uow.run(async (tx) => {
        const refusal = await this.refuseCreate(tx, admin, input);
        if (refusal) return refusal;
        const created = Object.assign(new Row(), {
          id: randomUUID(),
          name: input.name,
          owner: input.owner,
          description: input.description ?? null,
          groups: input.groups ?? [],
          status: 'active' as const,
          keyHolder: admin.id,
          keyId: issued.keyId,
          keyHash: issued.hash,
          keyCreatedAt: now,
          keyExpiresAt: this.expiry(now, input.keyExpiresIn),
          createdAt: now,
          createdBy: admin.id,
          disabledAt: null,
          lastUsedAt: null,
        });
        await this.accounts.insert(tx, created);
        await this.audit.append(tx, {
          type: 'service_account.created',
          actor: admin.id,
          data: {
            name: created.name,
            principal: serviceAccountPrincipal(created.name),
            owner: created.owner,
            groups: created.groups,
            keyId: created.keyId,
            keyExpiresAt: created.keyExpiresAt?.toISOString() ?? null,
          },
        });
        return created;
      });
    } catch (error) {
      // Two admins racing for one name: the unique index decides, the loser hears why.
      if (isUniqueViolation(error)) throw nameTaken(input.name);
      throw error;
    }
    await this.refreshOwners();
    return { ...toServiceAccountView(row), key: issued.key };
  }

  async list(
    principal: Principal,
    page: { cursor?: string; limit: number },
  ): Promise<{ items: ServiceAccountView[]; nextCursor?: string }> {
    const result = await this.uow.read((db) =>
      this.accounts.list(db, this.policy.scopeFor(principal), page),
    );
    return { ...result, items: result.items.map(toServiceAccountView) };
  }

  /** Admins see every account, a person those it owns; anyone else gets 404. */
  async get(principal: Principal, name: string): Promise<ServiceAccountView> {
    const row = await this.uow.read((db) =>
      this.accounts.findVisible(db, this.policy.scopeFor(principal), name),
    );
    if (!row) throw notFound('service account');
    return toServiceAccountView(row);
  }

  /** A new key, shown once; the old one stops working at once (no overlap). */
  async rotate(
    admin: Principal,
    name: string,
    input: { keyExpiresIn?: number },
  ): Promise<ServiceAccountWithKey> {
    const issued = issueApiKey();
    const now = this.clock.now();
    const row = await this.uow.run(async (tx) => {
      const found = await this.adminTarget(tx, admin, name, 'rotate');
      if (found instanceof Refusal) return found;
      if (found.status !== 'active') {
        const error = new DomainError('invalid_state', 'a disabled service account has no key', {
          reason: 'service_account_disabled',
        });
        return this.refuse(tx, admin, 'rotate', name, error);
      }
      const key = {
        keyHolder: admin.id,
        keyId: issued.keyId,
        keyHash: issued.hash,
        keyCreatedAt: now,
        keyExpiresAt: this.expiry(now, input.keyExpiresIn),
      };
      await this.accounts.replaceKey(tx, found.id, key);
      await this.audit.append(tx, {
        type: 'service_account.rotated',
        actor: admin.id,
        data: {
          name,
          previousKeyId: found.keyId,
          keyId: key.keyId,
          keyExpiresAt: key.keyExpiresAt?.toISOString() ?? null,
        },
      });
      return Object.assign(found, key);
    });
    // Whoever receives the key is linked to the account from now on (key custody).
    await this.refreshOwners();
    return { ...toServiceAccountView(row), key: issued.key };
  }

  /** Its key stops working at once; disabling twice changes nothing. It stays in the graph. */
  async disable(admin: Principal, name: string): Promise<ServiceAccountView> {
    const now = this.clock.now();
    const row = await this.uow.run(async (tx) => {
      const found = await this.adminTarget(tx, admin, name, 'disable');
      if (found instanceof Refusal || found.status === 'disabled') return found;
      await this.accounts.disable(tx, found.id, now);
      await this.audit.append(tx, {
        type: 'service_account.disabled',
        actor: admin.id,
        data: { name, keyId: found.keyId },
      });
      return Object.assign(found, { status: 'disabled' as const, disabledAt: now });
    });
    return toServiceAccountView(row);
  }

  /**
   * The principal a presented API key names, or 401. The key is found by its non-secret id and
   * its hash compared in constant time; a disabled account or an expired key is refused alike.
   */
  async authenticate(key: string): Promise<AuthenticatedPrincipal> {
    const keyId = apiKeyId(key);
    if (!keyId) throw unauthenticated();
    const row = await this.uow.read((db) => this.accounts.findByKeyId(db, keyId));
    const now = this.clock.now();
    if (!row || !apiKeyMatches(key, row.keyHash)) throw unauthenticated();
    if (row.status !== 'active') throw unauthenticated();
    if (row.keyExpiresAt && now.getTime() >= row.keyExpiresAt.getTime()) throw unauthenticated();
    const id = serviceAccountPrincipal(row.name);
    // Created through another broker since our last refresh: its owner must be known first.
    if (!this.policy.hasServiceAccountLinks(id, row.owner, row.keyHolder))
      await this.refreshOwners();
    await this.recordUse(row, now);
    // An admin gave the account its groups: all of them are known.
    return {
      id,
      groups: this.policy.groupsNow(id, row.groups),
      tokenGroups: row.groups,
      tokenGroupsKnown: true,
    };
  }

  /** Loads every service account's owner and key holder into the identity graph. */
  async refreshOwners(): Promise<void> {
    const rows = await this.uow.read((db) => this.accounts.links(db));
    const owners: Record<string, string> = {};
    const keyHolders: Record<string, string> = {};
    for (const row of rows) {
      const principal = serviceAccountPrincipal(row.name);
      owners[principal] = row.owner;
      if (row.keyHolder !== null) keyHolders[principal] = row.keyHolder;
    }
    this.policy.setServiceAccountLinks({ owners, keyHolders });
  }

  private async recordUse(row: ServiceAccountRow, now: Date): Promise<void> {
    if (row.lastUsedAt && now.getTime() - row.lastUsedAt.getTime() < LAST_USED_GRANULARITY_MS) {
      return;
    }
    const staleBefore = new Date(now.getTime() - LAST_USED_GRANULARITY_MS);
    await this.uow.run((tx) => this.accounts.touch(tx, row.id, now, staleBefore));
  }

  private expiry(now: Date, seconds: number | undefined): Date | null {
    return seconds === undefined ? null : new Date(now.getTime() + seconds * 1000);
  }

  private async refuseCreate(
    tx: Tx,
    admin: Principal,
    input: CreateServiceAccount,
  ): Promise<Refusal | undefined> {
    const notAdmin = await this.refuseNonAdmin(tx, admin, 'create', input.name);
    if (notAdmin) return notAdmin;
    const ownerProblem = this.ownerProblem(input.owner);
    if (ownerProblem) {
      const error = invalidField('owner', ownerProblem, 'owner_not_human');
      return this.refuse(tx, admin, 'create', input.name, error);
    }
    const adminGroups = this.policy.policy.admins.groups ?? [];
    const adminGroup = (input.groups ?? []).find((group) => adminGroups.includes(group));
    if (adminGroup !== undefined) {
      const message = `"${adminGroup}" gives admin reach, which a service account never gets this way`;
      const error = invalidField('groups', message, 'admin_group');
      return this.refuse(tx, admin, 'create', input.name, error);
    }
    if (await this.accounts.exists(tx, input.name)) {
      return this.refuse(tx, admin, 'create', input.name, nameTaken(input.name));
    }
    return undefined;
  }

  /** Why `owner` cannot own a service account, or undefined: it must be a person. */
  private ownerProblem(owner: string): string | undefined {
    const issuer = owner.slice(0, owner.indexOf(':'));
    if (principalKind(owner) !== 'issuer' || !this.personIssuers.includes(issuer)) {
      return 'must be a person: a principal id of a configured issuer of people';
    }
    if (this.policy.context.graph.isNonHuman(owner)) {
      return 'must be a person: this principal has an owner of its own';
    }
    return undefined;
  }

  /** The account an admin acts on; non-admins are refused, unknown names are 404. */
  private async adminTarget(
    tx: Tx,
    admin: Principal,
    name: string,
    action: 'rotate' | 'disable',
  ): Promise<ServiceAccountRow | Refusal> {
    const notAdmin = await this.refuseNonAdmin(tx, admin, action, name);
    if (notAdmin) return notAdmin;
    const row = await this.accounts.findVisible(tx, this.policy.scopeFor(admin), name, {
      lock: true,
    });
    return row ?? this.refuse(tx, admin, action, name, notFound('service account'));
  }

  /** Admins only: anyone else is refused as every admin-only action is (`checkAdmin`). */
  private async refuseNonAdmin(
    tx: Tx,
    principal: Principal,
    action: 'create' | 'rotate' | 'disable',
    name: string,
  ): Promise<Refusal | undefined> {
    const decision = checkAdmin(this.policy.policy, principal, `service_account.${action}`);
    if (decision.allowed) return undefined;
    const subject = {
      actor: principal.id,
      action: `service_account.${action}`,
      data: { action, name },
    };
    return refuseDecision(tx, this.audit, 'service_account.refused', subject, decision);
  }

  private async refuse(
    tx: Tx,
    actor: Principal,
    action: string,
    name: string,
    error: DomainError,
  ): Promise<Refusal> {
    await this.audit.append(tx, {
      type: 'service_account.refused',
      actor: actor.id,
      data: { action, name, code: error.code, reason: error.details.reason ?? error.code },
    });
    return new Refusal(error);
  }
}

const invalidField = (field: string, message: string, reason: string) =>
  new DomainError('invalid_request', `${field}: ${message}`, {
    reason,
    fields: [{ field, message }],
  });

const nameTaken = (name: string) =>
  new DomainError('invalid_state', `a service account named "${name}" exists already`, {
    reason: 'name_taken',
  });
