import {
  Body,
  Controller,
  Get,
  Header,
  Inject,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '#config';
import { APP_CONFIG, PolicyState } from '#access';
import { DomainError } from '#domain';
import { principalFromClaims } from '#identity';
import { Public } from '../http/public.decorator.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { LOGIN_COOKIE, clearCookie, cookieOptions, readCookie, safeReturnTo } from './cookies.js';
import { secretMatches } from './csrf.js';
import { demoSignInForm } from './forms.js';
import { demoSignInPage } from './plain-pages.js';
import { SignInLimitGuard } from './sign-in-limit.guard.js';
import { WebErrorFilter } from './web-error.filter.js';
import { LOGIN_TTL_SECONDS, WebSessions, openSession } from './web-sessions.js';

/**
 * Pick a demo user instead of signing in at an identity provider. Registered only under the
 * built-in demo config (AppModule), so with any real config these routes do not exist. The form
 * is bound to a pending login (cookie + random state, used once), like the OIDC flow.
 */
@Public()
@Controller('auth/demo')
@UseGuards(SignInLimitGuard)
@UseFilters(WebErrorFilter)
export class DemoSignInController {
  constructor(
    private readonly sessions: WebSessions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly policy: PolicyState,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async choose(
    @Query('returnTo') returnTo: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const state = randomBytes(32).toString('base64url');
    const target = safeReturnTo(returnTo, this.config.publicUrl);
    const id = await this.sessions.startLogin(target, { state, nonce: '-', codeVerifier: '-' });
    res.cookie(LOGIN_COOKIE, id, cookieOptions(this.config.publicUrl, LOGIN_TTL_SECONDS));
    return demoSignInPage(this.config.demoUsers, state);
  }

  @Post()
  async signIn(
    @Req() req: Request,
    @Body(new ZodPipe(demoSignInForm)) form: { csrf: string; user: string },
    @Res() res: Response,
  ): Promise<void> {
    const login = await this.sessions.takeLogin(readCookie(req, LOGIN_COOKIE));
    clearCookie(res, this.config.publicUrl, LOGIN_COOKIE);
    if (!login || !secretMatches(login.state, form.csrf)) {
      throw new DomainError('forbidden', 'this form is stale or was not sent by this site', {
        reason: 'csrf_token_invalid',
      });
    }
    const user = this.config.demoUsers.find((candidate) => candidate.name === form.user);
    const issuer = this.config.issuers.find((candidate) => candidate.name === 'demo');
    if (!user || !issuer) throw new DomainError('not_found', 'no such demo user');
    // The claims a demo token carries (DemoIssuer), so the principal is the API's.
    const principal = principalFromClaims(issuer, { sub: user.sub, groups: user.groups }, (id) =>
      this.policy.directoryGroups(id),
    );
    await openSession(this.sessions, res, this.config.publicUrl, principal, login.returnTo);
  }
}
