import {
  Body,
  Controller,
  Get,
  Header,
  Param,
  Post,
  Query,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { AccessQueries, AuditQueries, PolicyState, RevokeGrant } from '#access';
import type { Principal } from '#domain';
import { notFound } from '#domain';
import { auditQuery } from '../api/schemas.js';
import type { AuditQuery } from '../api/schemas.js';
import { IdPipe } from '../http/id.pipe.js';
import { Public } from '../http/public.decorator.js';
import { RateLimitGuard } from '../http/rate-limit.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import type { AuditFilterForm } from './admin-page.js';
import { adminPage, auditPage } from './admin-page.js';
import { revokeForm } from './forms.js';
import { CurrentSession, viewerOf } from './viewer.js';
import { WebAuthGuard } from './web-auth.guard.js';
import { WebErrorFilter } from './web-error.filter.js';
import type { WebSession } from './web-sessions.js';

const grantId = new IdPipe('grant');
const HTML = 'text/html; charset=utf-8';

/** The filter form leaves empty fields empty: those are absent, not invalid. */
const auditFilter = new ZodPipe(auditQuery);
function withoutEmpty(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ''));
}

/**
 * The security team's pages (docs/api.md §6): admins only (`checkAdmin`, through
 * `AccessQueries.admitsToAdminPages`, which audits a refusal as the API does); anyone else gets the
 * same 404 page as for a page that does not exist. Reads and the revocation go through the API's
 * use cases.
 */
@Public()
@Controller('admin')
@UseGuards(WebAuthGuard, RateLimitGuard)
@UseFilters(WebErrorFilter)
export class AdminPagesController {
  constructor(
    private readonly queries: AccessQueries,
    private readonly auditLog: AuditQueries,
    private readonly revoke: RevokeGrant,
    private readonly policy: PolicyState,
  ) {}

  @Get()
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async overview(@CurrentSession() session: WebSession): Promise<string> {
    const principal = await this.admin(session);
    const [chain, pending, grants] = await Promise.all([
      this.auditLog.verify(principal),
      this.queries.requestList(principal, { status: 'pending', limit: 100 }),
      this.queries.grantList(principal, { status: 'active', limit: 200 }),
    ]);
    return adminPage(viewerOf(session, this.policy), chain, pending.items, grants.items);
  }

  @Get('audit')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async audit(
    @CurrentSession() session: WebSession,
    @Query() raw: Record<string, unknown>,
  ): Promise<string> {
    const principal = await this.admin(session);
    const query: AuditQuery = auditFilter.transform(withoutEmpty(raw));
    const { cursor, ...filter } = query;
    const page = await this.auditLog.events(principal, { ...filter, afterSeq: cursor });
    const form: AuditFilterForm = {
      type: query.type,
      actor: query.actor,
      requestId: query.requestId,
      since: typeof raw.since === 'string' ? raw.since : undefined,
      until: typeof raw.until === 'string' ? raw.until : undefined,
    };
    return auditPage(viewerOf(session, this.policy), form, page.items, page.nextCursor);
  }

  @Post('grants/:id/revoke')
  async revokeGrant(
    @CurrentSession() session: WebSession,
    @Param('id', grantId) id: string,
    @Body(new ZodPipe(revokeForm)) form: { reason: string },
    @Res() res: Response,
  ): Promise<void> {
    await this.revoke.byPrincipal(await this.admin(session), id, form.reason);
    res.redirect(303, '/admin');
  }

  private async admin(session: WebSession): Promise<Principal> {
    if (!(await this.queries.admitsToAdminPages(session.principal))) throw notFound('page');
    return session.principal;
  }
}
