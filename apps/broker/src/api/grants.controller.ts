import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { AccessQueries, RevokeGrant } from '#access';
import type { GrantView, ListPage } from '#access';
import type { AuthenticatedPrincipal } from '#identity';
import { IdPipe } from '../http/id.pipe.js';
import { CurrentPrincipal } from '../http/principal.decorator.js';
import { ZodPipe } from '../http/zod.pipe.js';
import type { GrantListQuery } from './schemas.js';
import { grantListQuery, revokeBody } from './schemas.js';

const grantId = new IdPipe('grant');

@Controller('v1/grants')
export class GrantsController {
  constructor(
    private readonly revokeGrant: RevokeGrant,
    private readonly queries: AccessQueries,
  ) {}

  @Get()
  list(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Query(new ZodPipe(grantListQuery)) query: GrantListQuery,
  ): Promise<ListPage<GrantView>> {
    return this.queries.grantList(principal, query);
  }

  @Get(':id')
  get(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('id', grantId) id: string,
  ): Promise<GrantView> {
    return this.queries.grant(principal, id);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  revoke(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('id', grantId) id: string,
    @Body(new ZodPipe(revokeBody)) body: { reason: string },
  ): Promise<GrantView> {
    return this.revokeGrant.byPrincipal(principal, id, body.reason);
  }
}
