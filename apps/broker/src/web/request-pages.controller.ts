import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Post,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import type { RequestView } from '#access';
import type { AppConfig } from '#config';
import {
  APP_CONFIG,
  AccessQueries,
  CancelRequest,
  DecideRequest,
  Passkeys,
  PolicyState,
  ReviewBreakGlass,
  approverDecision,
} from '#access';
import type { Principal } from '#domain';
import {
  checkBreakGlassReviewer,
  checkCanceller,
  checkNewApprover,
  requiresSignedApproval,
} from '#domain';
import { IdPipe } from '../http/id.pipe.js';
import { Public } from '../http/public.decorator.js';
import { RateLimitGuard } from '../http/rate-limit.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { approveForm, csrfOnlyForm, denyForm } from './forms.js';
import type { ApprovalSigning, Standing } from './request-page.js';
import {
  APPROVE_SCRIPT_PATH,
  requestListsPage,
  requestPage,
  signsWithScript,
} from './request-page.js';
import { CurrentSession, viewerOf } from './viewer.js';
import { WebAuthGuard } from './web-auth.guard.js';
import { WebErrorFilter } from './web-error.filter.js';
import { pageScriptPolicy } from './web-http.js';
import type { WebSession } from './web-sessions.js';
import { WebSessions } from './web-sessions.js';
import { SESSION_COOKIE, clearCookie } from './cookies.js';
import { messagePage } from './plain-pages.js';

const requestId = new IdPipe('request');
const HTML = 'text/html; charset=utf-8';

/**
 * Approvers' pages (docs/api.md §6). GET only reads; every change is a POST carrying the session's
 * form token (checked by WebAuthGuard) and goes through the same use cases as the API, whose
 * refusals (audited there) come back as pages.
 */
@Public()
@Controller()
@UseGuards(WebAuthGuard, RateLimitGuard)
@UseFilters(WebErrorFilter)
export class RequestPagesController {
  constructor(
    private readonly queries: AccessQueries,
    private readonly decide: DecideRequest,
    private readonly cancel: CancelRequest,
    private readonly review: ReviewBreakGlass,
    private readonly policy: PolicyState,
    private readonly sessions: WebSessions,
    private readonly passkeys: Passkeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  home(@Res() res: Response): void {
    res.redirect(303, '/requests');
  }

  @Get('requests')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async list(@CurrentSession() session: WebSession): Promise<string> {
    const principal = session.principal;
    const [mine, waiting] = await Promise.all([
      this.queries.requestList(principal, { mine: true, limit: 50 }),
      this.queries.requestList(principal, { toApprove: true, status: 'pending', limit: 50 }),
    ]);
    return requestListsPage(viewerOf(session, this.policy), mine.items, waiting.items);
  }

  @Get('requests/:id')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async show(
    @CurrentSession() session: WebSession,
    @Param('id', requestId) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    // The ceremony's two JSON posts go to this origin; read before the page's work (see there).
    const signingPolicy = pageScriptPolicy(
      res,
      this.config.publicUrl,
      APPROVE_SCRIPT_PATH,
      "connect-src 'self'",
    );
    const view = await this.queries.request(session.principal, id);
    const standing = await this.standing(view, session.principal);
    if (signsWithScript(standing)) {
      res.setHeader('Content-Security-Policy', signingPolicy);
    }
    const canCancel = view.status === 'pending' && checkCanceller(view, session.principal).allowed;
    return requestPage(view, viewerOf(session, this.policy), standing, canCancel);
  }

  @Post('requests/:id/approve')
  async approve(
    @CurrentSession() session: WebSession,
    @Param('id', requestId) id: string,
    @Body(new ZodPipe(approveForm)) form: { comment?: string },
    @Res() res: Response,
  ): Promise<void> {
    await this.decide.approve(session.principal, id, form.comment);
    res.redirect(303, `/requests/${id}`);
  }

  @Post('requests/:id/deny')
  async deny(
    @CurrentSession() session: WebSession,
    @Param('id', requestId) id: string,
    @Body(new ZodPipe(denyForm)) form: { reason: string },
    @Res() res: Response,
  ): Promise<void> {
    await this.decide.deny(session.principal, id, form.reason);
    res.redirect(303, `/requests/${id}`);
  }

  @Post('requests/:id/cancel')
  async cancelRequest(
    @CurrentSession() session: WebSession,
    @Param('id', requestId) id: string,
    @Body(new ZodPipe(csrfOnlyForm)) _form: object,
    @Res() res: Response,
  ): Promise<void> {
    await this.cancel.execute(session.principal, id);
    res.redirect(303, `/requests/${id}`);
  }

  @Post('auth/logout')
  @HttpCode(200)
  @Header('Content-Type', HTML)
  async logout(
    @CurrentSession() session: WebSession,
    @Body(new ZodPipe(csrfOnlyForm)) _form: object,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    await this.sessions.end(session.id);
    clearCookie(res, this.config.publicUrl, SESSION_COOKIE);
    return messagePage('Signed out', 'Your session has ended.', {
      href: '/requests',
      text: 'Sign in again',
    });
  }

  @Post('requests/:id/review')
  async reviewActivation(
    @CurrentSession() session: WebSession,
    @Param('id', requestId) id: string,
    @Body(new ZodPipe(approveForm)) form: { comment?: string },
    @Res() res: Response,
  ): Promise<void> {
    await this.review.execute(session.principal, id, form.comment);
    res.redirect(303, `/requests/${id}`);
  }

  /** The same rules DecideRequest and ReviewBreakGlass apply: the page offers what they accept. */
  private async standing(view: RequestView, principal: Principal): Promise<Standing> {
    if (view.breakGlass) return this.reviewStanding(view, principal);
    if (view.status !== 'pending') return { kind: 'closed' };
    if (view.approvals.some((a) => a.approver === principal.id))
      return { kind: 'approved_already' };
    const decision = approverDecision(this.policy, view, principal);
    if (!decision.allowed)
      return { kind: 'refused', reason: decision.reason, message: decision.message };
    const { policy, graph } = this.policy.context;
    const earlier = view.approvals.map((a) => a.approver);
    const distinct = checkNewApprover(policy, graph, earlier, principal.id);
    return distinct.allowed
      ? { kind: 'approver', signing: await this.signing(view, principal) }
      : { kind: 'counted_already', message: distinct.message };
  }

  /** Signed where the role requires it or the approver has a passkey to sign with. */
  private async signing(view: RequestView, principal: Principal): Promise<ApprovalSigning> {
    const role = this.policy.role(view.role);
    const required = role !== undefined && requiresSignedApproval(role);
    const hasPasskey = (await this.passkeys.mine(principal)).length > 0;
    if (required) return hasPasskey ? 'passkey_required' : 'register_first';
    return hasPasskey ? 'passkey' : 'plain';
  }

  private reviewStanding(view: RequestView, principal: Principal): Standing {
    const role = this.policy.role(view.role);
    if (!role || !view.review || view.review.reviewedBy) return { kind: 'closed' };
    const decision = checkBreakGlassReviewer(
      this.policy.context,
      role,
      view,
      principal,
      this.policy.isAdmin(principal),
    );
    return decision.allowed ? { kind: 'reviewer' } : { kind: 'closed' };
  }
}
