import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import type { AppConfig } from '#config';
import {
  APP_CONFIG,
  CreateRequest,
  ExtendGrant,
  MintCredential,
  PolicyState,
  RequesterQueries,
  RevokeGrant,
  RoleQueries,
} from '#access';
import { notFound } from '#domain';
import { durationSeconds } from '../api/requests.controller.js';
import { IdPipe } from '../http/id.pipe.js';
import { Public } from '../http/public.decorator.js';
import { RateLimitGuard } from '../http/rate-limit.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { COPY_SCRIPT_PATH, credentialPage } from './credential-page.js';
import { csrfOnlyForm, revokeForm } from './forms.js';
import { myPage } from './my-page.js';
import { requestFormPage } from './request-form-page.js';
import type { ExtendGrantForm, RequestRoleForm } from './requester-forms.js';
import { extendGrantForm, requestRoleForm, roleFormQuery } from './requester-forms.js';
import { CurrentSession, viewerOf } from './viewer.js';
import { WebAuthGuard } from './web-auth.guard.js';
import { WebErrorFilter } from './web-error.filter.js';
import { pageScriptPolicy } from './web-http.js';
import type { WebSession } from './web-sessions.js';

const requestId = new IdPipe('request');
const grantId = new IdPipe('grant');
const HTML = 'text/html; charset=utf-8';

/**
 * The requester's pages (docs/api.md §6): what one may request and holds, and the forms to ask,
 * collect, extend and revoke. GET only reads; every change is a POST carrying the session's form
 * token (WebAuthGuard) into the API's own use cases, whose refusals come back as pages in words.
 */
@Public()
@Controller('me')
@UseGuards(WebAuthGuard, RateLimitGuard)
@UseFilters(WebErrorFilter)
export class RequesterPagesController {
  constructor(
    private readonly queries: RequesterQueries,
    private readonly roles: RoleQueries,
    private readonly create: CreateRequest,
    private readonly mint: MintCredential,
    private readonly extend: ExtendGrant,
    private readonly revoke: RevokeGrant,
    private readonly policy: PolicyState,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async overview(@CurrentSession() session: WebSession): Promise<string> {
    const overview = await this.queries.overview(session.principal);
    return myPage(viewerOf(session, this.policy), overview, this.requestable(session));
  }

  @Get('request')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  form(
    @CurrentSession() session: WebSession,
    @Query(new ZodPipe(roleFormQuery)) query: { role: string },
  ): string {
    // A role one may not request is not there, as on the API (role-refusal.ts).
    const role = this.requestable(session).find((candidate) => candidate.name === query.role);
    if (!role) throw notFound('role');
    return requestFormPage(viewerOf(session, this.policy), role);
  }

  @Post('requests')
  async file(
    @CurrentSession() session: WebSession,
    @Body(new ZodPipe(requestRoleForm)) form: RequestRoleForm,
    @Res() res: Response,
  ): Promise<void> {
    await this.create.execute(session.principal, {
      role: form.role,
      durationSeconds: durationSeconds(form.duration),
      justification: form.justification,
      ...this.intentOf(form),
    });
    res.redirect(303, '/me');
  }

  /** The credential, in this answer only: no-store, and never at a URL one could GET. */
  @Post('requests/:id/collect')
  @HttpCode(200)
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async collect(
    @CurrentSession() session: WebSession,
    @Param('id', requestId) id: string,
    @Body(new ZodPipe(csrfOnlyForm)) _form: object,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    // Read before minting: a credential is minted once, and must not be lost to a 500 after. Set
    // after it: a refusal's page runs no script.
    const policy = pageScriptPolicy(res, this.config.publicUrl, COPY_SCRIPT_PATH);
    const minted = await this.mint.execute(session.principal, id);
    res.setHeader('Content-Security-Policy', policy);
    return credentialPage(viewerOf(session, this.policy), minted);
  }

  @Post('grants/:id/extend')
  async extendGrant(
    @CurrentSession() session: WebSession,
    @Param('id', grantId) id: string,
    @Body(new ZodPipe(extendGrantForm)) form: ExtendGrantForm,
    @Res() res: Response,
  ): Promise<void> {
    await this.extend.execute(session.principal, id, {
      durationSeconds: durationSeconds(form.duration),
      justification: form.justification,
    });
    res.redirect(303, '/me');
  }

  @Post('grants/:id/revoke')
  async revokeGrant(
    @CurrentSession() session: WebSession,
    @Param('id', grantId) id: string,
    @Body(new ZodPipe(revokeForm)) form: { reason: string },
    @Res() res: Response,
  ): Promise<void> {
    await this.revoke.byPrincipal(session.principal, id, form.reason);
    res.redirect(303, '/me');
  }

  private requestable(session: WebSession) {
    return this.roles.visibleRoles(session.principal).items.filter((role) => role.requestable);
  }

  /**
   * The boxes ticked and the resource given narrow the role; none of either asks for all of it.
   * A resource alone keeps every action (an intent names its actions).
   */
  private intentOf(form: RequestRoleForm) {
    if (!form.actions && !form.resource) return {};
    const actions = form.actions ?? this.policy.role(form.role)?.actions ?? [];
    return { intent: { actions: [...actions], resource: form.resource } };
  }
}
