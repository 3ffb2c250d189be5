import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { ErrorFilter } from '../http/error.filter.js';
import { SignInRequired } from './web-auth.guard.js';

/**
 * For the web pages' JSON endpoints, which their scripts call (the passkey ceremonies): refusals
 * answer as the API's do, and a lapsed session is a 401 the script can show, not a redirect to
 * sign in that fetch would follow.
 */
@Catch()
export class JsonErrors implements ExceptionFilter {
  private readonly api = new ErrorFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof SignInRequired) {
      const response = host.switchToHttp().getResponse<Response>();
      response.status(401).json({ error: 'unauthenticated', message: 'sign in again' });
      return;
    }
    this.api.catch(exception, host);
  }
}
