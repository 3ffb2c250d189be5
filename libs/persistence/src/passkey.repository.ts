import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { IsNull } from 'typeorm';
import { PasskeyRow, WebAuthnChallengeRow } from './entities/passkey.entity.js';
import { forUpdate } from './scope.js';

/** The admin list shows at most this many passkeys, newest first. */
export const ADMIN_PASSKEY_LIMIT = 500;

/**
 * Passkeys and their registration challenges. Reads of one passkey take their scope: its owner
 * (or, for an admin's revocation, an explicit `anyOwner`), so a wrong id is a 404, never a leak.
 */
@Injectable()
export class PasskeyRepository {
  async insert(tx: EntityManager, row: PasskeyRow): Promise<void> {
    await tx.insert(PasskeyRow, row);
  }

  /** Whether this credential was ever registered, by anyone (removed ones included). */
  async credentialExists(manager: EntityManager, credentialId: string): Promise<boolean> {
    return manager.exists(PasskeyRow, { where: { credentialId } });
  }

  /** A principal's passkeys in use, oldest first (the order they were registered in). */
  async activeOf(manager: EntityManager, principal: string): Promise<PasskeyRow[]> {
    return manager.find(PasskeyRow, {
      where: { principal, revokedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** Every passkey in use, newest first, for the admins' list. */
  async allActive(manager: EntityManager): Promise<PasskeyRow[]> {
    return manager.find(PasskeyRow, {
      where: { revokedAt: IsNull() },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: ADMIN_PASSKEY_LIMIT,
    });
  }

  /** One passkey in use, locked until commit; `owner` scopes it unless it is `anyOwner`. */
  async findActive(
    tx: EntityManager,
    id: string,
    owner: string | typeof ANY_OWNER,
  ): Promise<PasskeyRow | null> {
    const query = tx
      .createQueryBuilder(PasskeyRow, 'pk')
      .where('pk.id = :id', { id })
      .andWhere('pk.revoked_at IS NULL');
    if (owner !== ANY_OWNER) query.andWhere('pk.principal = :owner', { owner });
    return forUpdate(query).getOne();
  }

  /** The owner's passkey in use with this WebAuthn credential id, locked until commit. */
  async findActiveCredential(
    tx: EntityManager,
    owner: string,
    credentialId: string,
  ): Promise<PasskeyRow | null> {
    const query = tx
      .createQueryBuilder(PasskeyRow, 'pk')
      .where('pk.credential_id = :credentialId', { credentialId })
      .andWhere('pk.principal = :owner', { owner })
      .andWhere('pk.revoked_at IS NULL');
    return forUpdate(query).getOne();
  }

  /** A verified assertion: the authenticator's counter as it reported it, and when. */
  async recordUse(tx: EntityManager, id: string, signCount: number, at: Date): Promise<void> {
    await tx.update(PasskeyRow, { id }, { signCount, lastUsedAt: at });
  }

  async rename(tx: EntityManager, id: string, name: string): Promise<void> {
    await tx.update(PasskeyRow, { id }, { name });
  }

  /** Guarded: only a passkey still in use is revoked, so two racing removals audit once. */
  async revoke(tx: EntityManager, id: string, at: Date, by: string): Promise<boolean> {
    const result = await tx
      .createQueryBuilder()
      .update(PasskeyRow)
      .set({ revokedAt: at, revokedBy: by })
      .where('id = :id AND revoked_at IS NULL', { id })
      .execute();
    return result.affected === 1;
  }

  /** The session's challenge, replacing any earlier one (lapsed ones of any session go first). */
  async putChallenge(tx: EntityManager, row: WebAuthnChallengeRow, now: Date): Promise<void> {
    await tx
      .createQueryBuilder()
      .delete()
      .from(WebAuthnChallengeRow)
      .where('expires_at < :now OR session_hash = :session', {
        now: now.getTime(),
        session: row.sessionHash,
      })
      .execute();
    await tx.insert(WebAuthnChallengeRow, row);
  }

  /** The session's challenge, used once: whoever deletes the row owns it; lapsed, none. */
  async takeChallenge(tx: EntityManager, sessionHash: string, now: Date): Promise<string | null> {
    const row = await tx.findOneBy(WebAuthnChallengeRow, { sessionHash });
    if (!row) return null;
    const deleted = await tx.delete(WebAuthnChallengeRow, {
      sessionHash,
      challenge: row.challenge,
    });
    if (deleted.affected !== 1 || row.expiresAt.getTime() <= now.getTime()) return null;
    return row.challenge;
  }
}

/** Marks an admin's read of a passkey: any owner's. */
export const ANY_OWNER = Symbol('any owner');
