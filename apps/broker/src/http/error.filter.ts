import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { Catch, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import type { ErrorCode } from '#domain';
import { DomainError } from '#domain';
import type { ErrorBody } from './error-body.js';
import { RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './unavailable.js';

const STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_eligible: 403,
  separation_of_duties: 403,
  not_found: 404,
  invalid_state: 409,
  already_issued: 409,
  payload_too_large: 413,
  rate_limited: 429,
  signature_required: 403,
  unavailable: 503,
};

const HTTP_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'not_found',
  409: 'invalid_state',
  413: 'payload_too_large',
  429: 'rate_limited',
};

/**
 * The one place errors become HTTP: domain codes map to statuses here and nowhere else. A lost
 * database connection is `503 unavailable` with Retry-After, in words that name no host. Anything
 * unexpected is logged and answered with a bare 500: no stack, no message, nothing to leak.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.describe(exception);
    if (status === 503) response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    response.status(status).json(body);
  }

  describe(exception: unknown): [number, ErrorBody] {
    if (exception instanceof DomainError) {
      const { reason, fields } = exception.details;
      return [
        STATUS[exception.code],
        {
          error: exception.code,
          message: exception.message,
          ...(reason ? { reason } : {}),
          ...(fields ? { fields } : {}),
        },
      ];
    }
    if (exception instanceof HttpException && HTTP_CODES[exception.getStatus()]) {
      const status = exception.getStatus();
      return [
        status,
        { error: HTTP_CODES[status], message: status === 404 ? 'not found' : 'request refused' },
      ];
    }
    if (isDatabaseUnavailable(exception)) {
      // One line, not a stack: during an outage every request lands here.
      this.logger.warn(`database unavailable: ${String(exception)}`);
      return [503, { error: 'unavailable', message: 'the database is unavailable; retry later' }];
    }
    this.logger.error(exception instanceof Error ? exception : String(exception));
    return [500, { error: 'internal_error', message: 'internal error' }];
  }
}
