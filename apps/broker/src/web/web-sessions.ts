import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AdminReachJudge, CLOCK, PolicyState } from '#access';
import type { Clock } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import { UnitOfWork, WebLoginRow, WebSessionRow } from '#persistence';
import { SESSION_COOKIE, cookieOptions } from './cookies.js';

export const SESSION_TTL_SECONDS = 3600;
export const LOGIN_TTL_SECONDS = 600;

/** A signed-in browser: the cookie's random id (the CSRF key too) and who it is. */
export interface WebSession {
  id: string;
  principal: AuthenticatedPrincipal;
  /** When its owner signed in: removing a passkey needs a recent sign-in. */
  signedInAt: Date;
  expiresAt: Date;
}

export interface PendingLogin {
  id: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

// 32 random bytes: unguessable, and a valid PKCE verifier length once base64url-encoded.
const randomId = () => randomBytes(32).toString('base64url');
const hashOf = (id: string) => createHash('sha256').update(id).digest('hex');
const COOKIE_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Server-side sessions: the cookie holds a random id, the database its SHA-256. So logout and
 * expiry end a session everywhere at once, every replica shares them through the database, and
 * no signing secret has to be distributed. Groups are the token's at sign-in plus the directory
 * of the policy in force, as for a bearer token (a policy reload reaches open sessions at once).
 */
@Injectable()
export class WebSessions {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly policy: PolicyState,
    private readonly adminReach: AdminReachJudge,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async startLogin(
    returnTo: string,
    login: Omit<PendingLogin, 'id' | 'returnTo'>,
  ): Promise<string> {
    // Anyone may start a sign-in: lapsed rows go first, so only ten minutes' worth are kept.
    await this.removeExpired(this.clock.now());
    const id = randomId();
    const row = Object.assign(new WebLoginRow(), {
      idHash: hashOf(id),
      ...login,
      returnTo,
      expiresAt: new Date(this.clock.now().getTime() + LOGIN_TTL_SECONDS * 1000),
    });
    await this.uow.dataSource.getRepository(WebLoginRow).insert(row);
    return id;
  }

  /** The login a callback completes, used once: whoever deletes the row owns it. */
  async takeLogin(id: string | undefined): Promise<PendingLogin | undefined> {
    if (id === undefined || !COOKIE_ID.test(id)) return undefined;
    const logins = this.uow.dataSource.getRepository(WebLoginRow);
    const row = await logins.findOneBy({ idHash: hashOf(id) });
    if (!row) return undefined;
    const deleted = await logins.delete({ idHash: row.idHash });
    if (deleted.affected !== 1 || row.expiresAt.getTime() <= this.clock.now().getTime()) {
      return undefined;
    }
    return { id, ...row };
  }

  async create(principal: AuthenticatedPrincipal): Promise<WebSession> {
    // An ID token's groups count as a token's: a later Slack click judges admin reach by them.
    await this.adminReach.remember(principal);
    const now = this.clock.now();
    const id = randomId();
    const expiresAt = new Date(now.getTime() + SESSION_TTL_SECONDS * 1000);
    await this.uow.dataSource.getRepository(WebSessionRow).insert(
      Object.assign(new WebSessionRow(), {
        idHash: hashOf(id),
        principal: principal.id,
        tokenGroups: [...principal.tokenGroups],
        tokenGroupsKnown: principal.tokenGroupsKnown === true,
        createdAt: now,
        expiresAt,
      }),
    );
    return { id, principal, signedInAt: now, expiresAt };
  }

  async find(id: string | undefined): Promise<WebSession | undefined> {
    if (id === undefined || !COOKIE_ID.test(id)) return undefined;
    const row = await this.uow.dataSource
      .getRepository(WebSessionRow)
      .findOneBy({ idHash: hashOf(id) });
    if (!row || row.expiresAt.getTime() <= this.clock.now().getTime()) return undefined;
    const groups = this.policy.groupsNow(row.principal, row.tokenGroups);
    return {
      id,
      principal: {
        id: row.principal,
        groups,
        tokenGroups: row.tokenGroups,
        tokenGroupsKnown: row.tokenGroupsKnown,
      },
      signedInAt: row.createdAt,
      expiresAt: row.expiresAt,
    };
  }

  async end(id: string): Promise<void> {
    await this.uow.dataSource.getRepository(WebSessionRow).delete({ idHash: hashOf(id) });
  }

  private async removeExpired(now: Date): Promise<void> {
    for (const table of [WebSessionRow, WebLoginRow]) {
      await this.uow.dataSource
        .createQueryBuilder()
        .delete()
        .from(table)
        .where('expires_at < :now', { now: now.getTime() })
        .execute();
    }
  }
}

/**
 * Ends a sign-in, whichever way it went (OpenID Connect or the demo picker): a new session for
 * the principal, its cookie, and back to where the sign-in started.
 */
export async function openSession(
  sessions: WebSessions,
  res: Response,
  publicUrl: string,
  principal: AuthenticatedPrincipal,
  returnTo: string,
): Promise<void> {
  const session = await sessions.create(principal);
  res.cookie(SESSION_COOKIE, session.id, cookieOptions(publicUrl, SESSION_TTL_SECONDS));
  res.redirect(303, returnTo);
}
