import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig } from '#config';
import { DomainError } from '#domain';
import { APP_CONFIG } from '#access';

/**
 * Sign-in routes run before anyone is known, and each start writes a row: they are limited per
 * client address instead of per principal, at `rateLimit.perMinute` (0 turns it off). Behind a
 * proxy every client shares the proxy's address, so the limit then caps the install as a whole.
 */
@Injectable()
export class SignInLimitGuard implements CanActivate {
  private readonly limiter?: RateLimiterMemory;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const points = config.rateLimit.perMinute;
    if (points > 0) this.limiter = new RateLimiterMemory({ points, duration: 60 });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.limiter) return true;
    const request = context.switchToHttp().getRequest<Request>();
    try {
      await this.limiter.consume(request.ip ?? 'unknown');
      return true;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
      throw new DomainError('rate_limited', `too many sign-ins; retry in ${retryAfter}s`);
    }
  }
}
