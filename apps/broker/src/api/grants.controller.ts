import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { AccessQueries, ExtendGrant, RevokeGrant } from '#access';
import type { GrantView, ListPage, RequestView } from '#access';
import type { AuthenticatedPrincipal } from '#identity';
import { IdPipe } from '../http/id.pipe.js';
import { CurrentPrincipal } from '../http/principal.decorator.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { durationSeconds } from './requests.controller.js';
import type { ExtendBody, GrantListQuery } from './schemas.js';
import { extendBody, grantListQuery, revokeBody } from './schemas.js';

const grantId = new IdPipe('grant');

@Controller('v1/grants')
export class GrantsController {
  constructor(
    private readonly revokeGrant: RevokeGrant,
    private readonly queries: AccessQueries,
    private readonly extendGrant: ExtendGrant,
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

  /** A new request for more time on the grant, judged like any other (201). */
  @Post(':id/extend')
  extend(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('id', grantId) id: string,
    @Body(new ZodPipe(extendBody)) body: ExtendBody,
  ): Promise<RequestView> {
    return this.extendGrant.execute(principal, id, {
      durationSeconds: durationSeconds(body.duration),
      justification: body.justification,
    });
  }
}
