import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { DomainError } from '#domain';
import { AdminReachJudge, ServiceAccounts } from '#access';
import type { AuthenticatedPrincipal } from '#identity';
import { TokenVerifier, looksLikeApiKey } from '#identity';
import type { AuthenticatedRequest } from './principal.decorator.js';
import { IS_PUBLIC } from './public.decorator.js';
import type { AuthFailure } from './unauthenticated-limiter.js';
import { UnauthenticatedLimiter } from './unauthenticated-limiter.js';

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

/**
 * Every route is authenticated unless marked @Public(): forgetting a decorator fails closed. A
 * bearer value is a service account's API key when it has the key prefix (`cs_sa_`), a JWT of a
 * trusted issuer or a JWT-SVID otherwise; neither kind is ever tried as the other. A client
 * address with too many failures is refused before any of that (UnauthenticatedLimiter).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifier,
    private readonly serviceAccounts: ServiceAccounts,
    private readonly unauthenticated: UnauthenticatedLimiter,
    private readonly adminReach: AdminReachJudge,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request & AuthenticatedRequest>();
    const bearer = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const failure: AuthFailure =
      bearer === undefined
        ? 'missing_token'
        : looksLikeApiKey(bearer)
          ? 'invalid_api_key'
          : 'invalid_token';
    // The success point: whatever must follow a verified principal comes after this line.
    request.principal = await this.unauthenticated.screen(
      request,
      http.getResponse<Response>(),
      failure,
      () => this.verify(bearer),
    );
    // Paths without a token (a Slack click) judge admin reach by the groups last presented here.
    await this.adminReach.remember(request.principal);
    return true;
  }

  private async verify(bearer: string | undefined): Promise<AuthenticatedPrincipal> {
    if (bearer === undefined) {
      throw new DomainError('unauthenticated', 'a bearer token is required');
    }
    return looksLikeApiKey(bearer)
      ? this.serviceAccounts.authenticate(bearer)
      : this.tokens.verify(bearer);
  }
}
