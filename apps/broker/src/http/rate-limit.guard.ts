import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthenticatedRequest } from './principal.decorator.js';

/** Limits per principal (API.md §3 `rateLimit.perMinute`); unauthenticated routes by address. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const principal = (request as AuthenticatedRequest).principal;
    return Promise.resolve(principal ? `principal:${principal.id}` : `ip:${String(request.ip)}`);
  }
}
