import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { Catch, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AppConfig } from '#config';
import { APP_CONFIG } from '#access';
import { ErrorFilter } from '../http/error.filter.js';
import { messagePage, notFoundPage } from './plain-pages.js';
import { SignInRequired } from './web-auth.guard.js';

const TITLES: Readonly<Record<number, string>> = {
  400: 'That did not work',
  401: 'Sign in first',
  403: 'Refused',
  409: 'Too late',
  429: 'Slow down',
};

/** Where a browser signs in, or undefined when this install offers no web sign-in. */
export function signInPath(config: AppConfig, returnTo: string): string | undefined {
  const query = `?returnTo=${encodeURIComponent(returnTo)}`;
  if (config.web) return `/auth/login${query}`;
  if (config.demo) return `/auth/demo${query}`;
  return undefined;
}

/**
 * Errors on the web pages become pages, with the same codes and statuses as the API's JSON
 * (ErrorFilter.describe), the refusal in words; every 404 is the one "not found" page.
 */
@Catch()
export class WebErrorFilter implements ExceptionFilter {
  private readonly api = new ErrorFilter();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<Request>();
    const response = host.switchToHttp().getResponse<Response>();
    response.setHeader('Cache-Control', 'no-store');
    if (exception instanceof SignInRequired) {
      const target = signInPath(this.config, exception.returnTo);
      if (request.method === 'GET' && target) {
        response.redirect(303, target);
        return;
      }
      const message = target
        ? 'Your session has ended. Sign in again, then repeat what you were doing.'
        : 'This install has no web sign-in configured (auth.web).';
      const link = target ? { href: target, text: 'Sign in' } : undefined;
      response
        .status(401)
        .type('html')
        .send(messagePage('Sign in first', message, link));
      return;
    }
    const [status, body] = this.api.describe(exception);
    if (status === 404) {
      response.status(404).type('html').send(notFoundPage());
      return;
    }
    const words = body.reason ? `${body.message} (${body.reason})` : body.message;
    const back = request.path.startsWith('/requests/')
      ? { href: request.path.split('/').slice(0, 3).join('/'), text: 'Back to the request' }
      : request.path.startsWith('/me')
        ? { href: '/me', text: 'Back to my access' }
        : { href: '/requests', text: 'Your requests' };
    response
      .status(status)
      .type('html')
      .send(messagePage(TITLES[status] ?? 'Something went wrong', words, back));
  }
}
