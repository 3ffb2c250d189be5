import {
  Controller,
  Get,
  Inject,
  Logger,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AppConfig } from '#config';
import { APP_CONFIG, PolicyState } from '#access';
import { principalFromClaims } from '#identity';
import { Public } from '../http/public.decorator.js';
import { LOGIN_COOKIE, clearCookie, cookieOptions, readCookie, safeReturnTo } from './cookies.js';
import { OidcSignIn } from './oidc-sign-in.js';
import { messagePage } from './plain-pages.js';
import { SignInLimitGuard } from './sign-in-limit.guard.js';
import { WebErrorFilter } from './web-error.filter.js';
import { LOGIN_TTL_SECONDS, WebSessions, openSession } from './web-sessions.js';

/**
 * OpenID Connect sign-in (docs/api.md §6), registered only when `auth.web` is configured. The login
 * state (PKCE verifier, state, nonce, return path) is a server-side row behind its own short
 * HttpOnly cookie, used once; the session gets a new id, so nothing from before sign-in survives.
 */
@Public()
@Controller('auth')
@UseGuards(SignInLimitGuard)
@UseFilters(WebErrorFilter)
export class SignInController {
  private readonly logger = new Logger('SignIn');

  constructor(
    private readonly oidc: OidcSignIn,
    private readonly sessions: WebSessions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly policy: PolicyState,
  ) {}

  @Get('login')
  async login(@Query('returnTo') returnTo: unknown, @Res() res: Response): Promise<void> {
    const checks = OidcSignIn.newChecks();
    let target: URL;
    try {
      target = await this.oidc.authorizationUrl(checks);
    } catch (error) {
      this.logger.warn(`identity provider discovery failed: ${String(error)}`);
      this.unavailable(res);
      return;
    }
    const id = await this.sessions.startLogin(
      safeReturnTo(returnTo, this.config.publicUrl),
      checks,
    );
    res.cookie(LOGIN_COOKIE, id, cookieOptions(this.config.publicUrl, LOGIN_TTL_SECONDS));
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, target.href);
  }

  @Get('callback')
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    const login = await this.sessions.takeLogin(readCookie(req, LOGIN_COOKIE));
    clearCookie(res, this.config.publicUrl, LOGIN_COOKIE);
    res.setHeader('Cache-Control', 'no-store');
    if (!login) {
      res
        .status(400)
        .type('html')
        .send(this.restart('This sign-in has expired or was already used.'));
      return;
    }
    const web = this.config.web;
    let principal;
    try {
      const query = new URL(req.originalUrl, this.config.publicUrl).searchParams;
      const claims = await this.oidc.complete(query, login);
      principal =
        web && principalFromClaims(web.issuer, claims, (id) => this.policy.directoryGroups(id));
    } catch (error) {
      // Never echo the provider's answer: it may carry a code or token.
      this.logger.warn(`sign-in refused: ${error instanceof Error ? error.name : 'error'}`);
    }
    if (!principal) {
      res.status(401).type('html').send(this.restart('The identity provider did not sign you in.'));
      return;
    }
    await openSession(this.sessions, res, this.config.publicUrl, principal, login.returnTo);
  }

  private restart(message: string): string {
    return messagePage('Sign-in failed', message, { href: '/auth/login', text: 'Sign in again' });
  }

  private unavailable(res: Response): void {
    res
      .status(503)
      .type('html')
      .send(
        messagePage('Sign-in unavailable', 'The identity provider does not answer; try again.'),
      );
  }
}
