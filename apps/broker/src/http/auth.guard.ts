import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError } from '#domain';
import { AdminReachJudge, ServiceAccounts } from '#access';
import { TokenVerifier, looksLikeApiKey } from '#identity';
import type { AuthenticatedRequest } from './principal.decorator.js';
import { IS_PUBLIC } from './public.decorator.js';

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

/**
 * Every route is authenticated unless marked @Public(): forgetting a decorator fails closed. A
 * bearer value is a service account's API key when it has the key prefix (`cs_sa_`), a JWT of a
 * trusted issuer or a JWT-SVID otherwise; neither kind is ever tried as the other.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifier,
    private readonly serviceAccounts: ServiceAccounts,
    private readonly adminReach: AdminReachJudge,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request & AuthenticatedRequest>();
    const match = BEARER.exec(request.headers.authorization ?? '');
    if (!match) throw new DomainError('unauthenticated', 'a bearer token is required');
    const bearer = match[1];
    request.principal = looksLikeApiKey(bearer)
      ? await this.serviceAccounts.authenticate(bearer)
      : await this.tokens.verify(bearer);
    // Paths without a token (a Slack click) judge admin reach by the groups last presented here.
    await this.adminReach.remember(request.principal);
    return true;
  }
}
