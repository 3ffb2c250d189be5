import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { Clock, Principal } from '#domain';
import { checkAdmin, isFreshSignIn, notFound, passkeyName } from '#domain';
import type { Tx } from '#persistence';
import { ANY_OWNER, PasskeyRepository, Refusal, UnitOfWork } from '#persistence';
import { refuseDecision } from '../audit-helpers.js';
import { PolicyState } from '../policy-state.js';
import { CLOCK } from '../wiring/tokens.js';
import type { PasskeySession } from './passkey-holder.js';
import { refusePasskey, staleSignIn } from './passkey-holder.js';
import type { PasskeyView } from './passkey-view.js';
import { toPasskeyView } from './passkey-view.js';

/**
 * Audit events name a passkey by its row id and its WebAuthn credential id, the latter as
 * `publicKeyId` (public, but the audit log refuses any field named like a credential).
 *
 * A person's passkeys: listed, renamed and removed by their owner (removal only within five
 * minutes of signing in), revoked by an admin. Rows are never deleted; each change is audited in
 * the transaction that makes it.
 */
@Injectable()
export class Passkeys {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly passkeys: PasskeyRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async mine(principal: Principal): Promise<PasskeyView[]> {
    const rows = await this.uow.read((db) => this.passkeys.activeOf(db, principal.id));
    return rows.map(toPasskeyView);
  }

  async rename(principal: Principal, id: string, name: string): Promise<PasskeyView> {
    const newName = passkeyName(name);
    return this.uow.run(async (tx) => {
      const row = await this.passkeys.findActive(tx, id, principal.id);
      if (!row) return new Refusal(notFound('passkey'));
      await this.passkeys.rename(tx, row.id, newName);
      await this.audit.append(tx, {
        type: 'passkey.renamed',
        actor: principal.id,
        data: { passkeyId: row.id, publicKeyId: row.credentialId, from: row.name, name: newName },
      });
      return toPasskeyView(Object.assign(row, { name: newName }));
    });
  }

  /** By its owner, from a session signed in within the last five minutes. */
  async remove(session: PasskeySession, id: string): Promise<void> {
    const principal = session.principal;
    await this.uow.run(async (tx) => {
      const row = await this.passkeys.findActive(tx, id, principal.id);
      if (!row) return new Refusal(notFound('passkey'));
      const now = this.clock.now();
      if (!isFreshSignIn(session.signedInAt, now)) {
        const data = { action: 'remove', passkeyId: row.id };
        return refusePasskey(tx, this.audit, principal, data, staleSignIn('removing a passkey'));
      }
      if (!(await this.passkeys.revoke(tx, row.id, now, principal.id))) {
        return new Refusal(notFound('passkey'));
      }
      await this.audit.append(tx, {
        type: 'passkey.removed',
        actor: principal.id,
        data: { passkeyId: row.id, publicKeyId: row.credentialId, name: row.name },
      });
      return undefined;
    });
  }

  /** Every passkey in use (newest first, bounded), for admins only. */
  async all(admin: Principal): Promise<PasskeyView[]> {
    // Only a refusal writes (its audit events); an admin's read is a read.
    if (!checkAdmin(this.policy.policy, admin, 'passkey.revoke').allowed) {
      await this.uow.run((tx) => this.refuseNonAdmin(tx, admin, undefined));
    }
    const rows = await this.uow.read((db) => this.passkeys.allActive(db));
    return rows.map(toPasskeyView);
  }

  /** An admin ends anyone's passkey at once; its owner's removal and this read alike. */
  async revoke(admin: Principal, id: string): Promise<void> {
    await this.uow.run(async (tx) => {
      const notAdmin = await this.refuseNonAdmin(tx, admin, id);
      if (notAdmin) return notAdmin;
      const row = await this.passkeys.findActive(tx, id, ANY_OWNER);
      if (!row || !(await this.passkeys.revoke(tx, row.id, this.clock.now(), admin.id))) {
        return new Refusal(notFound('passkey'));
      }
      await this.audit.append(tx, {
        type: 'passkey.revoked',
        actor: admin.id,
        data: {
          passkeyId: row.id,
          publicKeyId: row.credentialId,
          name: row.name,
          owner: row.principal,
        },
      });
      return undefined;
    });
  }

  private async refuseNonAdmin(
    tx: Tx,
    admin: Principal,
    passkeyId: string | undefined,
  ): Promise<Refusal | undefined> {
    const decision = checkAdmin(this.policy.policy, admin, 'passkey.revoke');
    if (decision.allowed) return undefined;
    const subject = {
      actor: admin.id,
      action: 'passkey.revoke',
      data: { action: 'revoke', ...(passkeyId ? { passkeyId } : {}) },
    };
    return refuseDecision(tx, this.audit, 'passkey.refused', subject, decision);
  }
}
