import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError } from '#domain';
import type { AuthenticatedRequest } from '../http/principal.decorator.js';
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
 * before any handler runs, so a forged cross-site form changes nothing.
 */
@Injectable()
export class WebAuthGuard implements CanActivate {
  constructor(private readonly sessions: WebSessions) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & WebRequest>();
    const session = await this.sessions.find(readCookie(request, SESSION_COOKIE));
    if (!session) throw new SignInRequired(request.originalUrl);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const body = request.body as Record<string, unknown> | undefined;
      if (!csrfMatches(session.id, body?.csrf)) {
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
