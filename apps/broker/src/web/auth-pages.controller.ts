import { Controller, Get, Header, Inject, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, PolicyState } from '#access';
import type { AppConfig } from '#config';
import { Public } from '../http/public.decorator.js';
import { SESSION_COOKIE, readCookie, safeReturnTo } from './cookies.js';
import { html } from './html.js';
import { csrfField, page } from './layout.js';
import { messagePage } from './plain-pages.js';
import { viewerOf } from './viewer.js';
import { WebErrorFilter, signInPath } from './web-error.filter.js';
import { WebSessions } from './web-sessions.js';

const HTML = 'text/html; charset=utf-8';

/**
 * `GET /auth/logout` as a page, so the address answers a person who types it. GET changes nothing:
 * signing out stays a POST with the session's form token (RequestPagesController).
 */
@Public()
@Controller('auth')
@UseFilters(WebErrorFilter)
export class SignOutPageController {
  constructor(
    private readonly sessions: WebSessions,
    private readonly policy: PolicyState,
  ) {}

  @Get('logout')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async logoutPage(@Req() req: Request): Promise<string> {
    const session = await this.sessions.find(readCookie(req, SESSION_COOKIE));
    if (!session) {
      return messagePage('Signed out', 'You are not signed in.', {
        href: '/requests',
        text: 'Sign in',
      });
    }
    const viewer = viewerOf(session, this.policy);
    return page(
      'Sign out',
      html`<p>You are signed in as <strong>${viewer.id}</strong>.</p>
        <form method="post" action="/auth/logout">
          ${csrfField(viewer.csrf)}
          <button type="submit">Sign out</button>
        </form>`,
      viewer,
    );
  }
}

/**
 * `GET /auth/login` where OpenID Connect does not own it (no `auth.web`): on to the demo picker, or
 * a page saying this install has no web sign-in.
 */
@Public()
@Controller('auth')
@UseFilters(WebErrorFilter)
export class SignInFallbackController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get('login')
  @Header('Cache-Control', 'no-store')
  login(@Query('returnTo') returnTo: unknown, @Res() res: Response): void {
    const target = signInPath(this.config, safeReturnTo(returnTo, this.config.publicUrl));
    if (target) {
      res.redirect(303, target);
      return;
    }
    res
      .type('html')
      .send(
        messagePage(
          'No web sign-in',
          'This install has no web sign-in configured: set auth.web to an OpenID Connect issuer (docs/identity.md).',
        ),
      );
  }
}
