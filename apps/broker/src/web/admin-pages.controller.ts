import {
  Body,
  Controller,
  Get,
  Header,
  Inject,
  Param,
  Post,
  Query,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  AccessQueries,
  AdminDashboard,
  AuditQueries,
  CLOCK,
  PolicyState,
  RevokeGrant,
} from '#access';
import type { Clock, Principal } from '#domain';
import { notFound } from '#domain';
import { auditQuery } from '../api/schemas.js';
import type { AuditQuery } from '../api/schemas.js';
import { IdPipe } from '../http/id.pipe.js';
import { Public } from '../http/public.decorator.js';
import { RateLimitGuard } from '../http/rate-limit.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { DEFAULT_PAGE } from './admin-lists.js';
import type { AuditFilterForm } from './admin-page.js';
import { adminPage, auditPage, chainPage, grantListPage, requestListPage } from './admin-page.js';
import type { AdminPageQuery } from './admin-page-query.js';
import { adminPageQuery } from './admin-page-query.js';
import { revokeForm } from './forms.js';
import { CurrentSession, viewerOf } from './viewer.js';
import { WebAuthGuard } from './web-auth.guard.js';
import { WebErrorFilter } from './web-error.filter.js';
import type { WebSession } from './web-sessions.js';

const grantId = new IdPipe('grant');
const pageQuery = new ZodPipe(adminPageQuery);
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
    private readonly dashboard: AdminDashboard,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async overview(@CurrentSession() session: WebSession): Promise<string> {
    const principal = await this.admin(session);
    const limit = DEFAULT_PAGE;
    const [dashboard, pending, grants] = await Promise.all([
      this.dashboard.overview(principal),
      this.queries.requestList(principal, { status: 'pending', limit }),
      this.queries.grantList(principal, { status: 'active', limit }),
    ]);
    return adminPage(viewerOf(session, this.policy), { dashboard, pending, grants, limit });
  }

  @Get('grants')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async activeGrants(
    @CurrentSession() session: WebSession,
    @Query(pageQuery) query: AdminPageQuery,
  ): Promise<string> {
    return this.grantPage(session, query, false);
  }

  @Get('grants/overdue')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async overdueGrants(
    @CurrentSession() session: WebSession,
    @Query(pageQuery) query: AdminPageQuery,
  ): Promise<string> {
    return this.grantPage(session, query, true);
  }

  @Get('requests')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async pendingRequests(
    @CurrentSession() session: WebSession,
    @Query(pageQuery) query: AdminPageQuery,
  ): Promise<string> {
    const principal = await this.admin(session);
    const requests = await this.queries.requestList(principal, { ...query, status: 'pending' });
    const links = { path: '/admin/requests', ...query };
    const empty = 'No pending requests.';
    return requestListPage(
      viewerOf(session, this.policy),
      'Pending requests',
      requests,
      links,
      empty,
    );
  }

  @Get('break-glass')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async unreviewedBreakGlass(
    @CurrentSession() session: WebSession,
    @Query(pageQuery) query: AdminPageQuery,
  ): Promise<string> {
    const principal = await this.admin(session);
    const requests = await this.dashboard.unreviewedBreakGlass(principal, query);
    const links = { path: '/admin/break-glass', ...query };
    const title = 'Unreviewed break-glass activations';
    const empty = 'Every break-glass activation has been reviewed.';
    return requestListPage(viewerOf(session, this.policy), title, requests, links, empty);
  }

  @Get('chain')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async chain(@CurrentSession() session: WebSession): Promise<string> {
    const principal = await this.admin(session);
    return chainPage(viewerOf(session, this.policy), await this.auditLog.verify(principal));
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

  private async grantPage(
    session: WebSession,
    query: AdminPageQuery,
    overdue: boolean,
  ): Promise<string> {
    const principal = await this.admin(session);
    const grants = await this.queries.grantList(principal, {
      ...query,
      status: 'active',
      ...(overdue ? { overdue } : {}),
    });
    const links = { path: overdue ? '/admin/grants/overdue' : '/admin/grants', ...query };
    return grantListPage(
      viewerOf(session, this.policy),
      overdue ? 'Overdue grants' : 'Active grants',
      grants,
      links,
      this.clock.now(),
      overdue ? 'No grant is past its expiry.' : 'No active grants.',
    );
  }

  private async admin(session: WebSession): Promise<Principal> {
    if (!(await this.queries.admitsToAdminPages(session.principal))) throw notFound('page');
    return session.principal;
  }
}
