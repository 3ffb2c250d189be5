import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '#domain';
import type { AuthenticatedRequest } from '../http/principal.decorator.js';
import { UnauthenticatedLimiter, clientAddress } from '../http/unauthenticated-limiter.js';
import { SESSION_COOKIE, readCookie } from './cookies.js';
import { csrfMatches } from './csrf.js';
import type { WebSession } from './web-sessions.js';
import { WebSessions } from './web-sessions.js';

export interface WebRequest extends AuthenticatedRequest {
  webSession?: WebSession;
}

/** Not signed in: a GET is sent to sign in and back; anything else is refused. */
export class SignInRequired extends Error {
  constructor(readonly returnTo: string) {
    super('sign in first');
  }
}

/**
 * The web pages' authentication: the session cookie instead of a bearer token (these routes are
 * @Public to the AuthGuard). Every POST must also carry the session's form token, checked here
 * before any handler runs, so a forged cross-site form changes nothing. A signed-out or forged
 * POST counts against the client's address like a bad token, and an address over its budget is
 * refused before its session is looked up (UnauthenticatedLimiter).
 */
@Injectable()
export class WebAuthGuard implements CanActivate {
  constructor(
    private readonly sessions: WebSessions,
    private readonly unauthenticated: UnauthenticatedLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request & WebRequest>();
    const address = clientAddress(request);
    await this.unauthenticated.admit(address, http.getResponse<Response>());
    const changes = request.method !== 'GET' && request.method !== 'HEAD';
    const session = await this.sessions.find(readCookie(request, SESSION_COOKIE));
    if (!session) {
      // A signed-out GET is sent to sign in, the normal way in; anything else is refused.
      if (changes) await this.unauthenticated.failed(address, 'session_missing');
      throw new SignInRequired(request.originalUrl);
    }
    if (changes) {
      const body = request.body as Record<string, unknown> | undefined;
      if (!csrfMatches(session.id, body?.csrf)) {
        await this.unauthenticated.failed(address, 'csrf_invalid');
        throw new DomainError('forbidden', 'this form is stale or was not sent by this site', {
          reason: 'csrf_token_invalid',
        });
      }
    }
    request.webSession = session;
    request.principal = session.principal;
    return true;
  }
}
