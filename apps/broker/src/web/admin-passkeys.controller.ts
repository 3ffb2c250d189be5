import {
  Body,
  Controller,
  Get,
  Header,
  Param,
  Post,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { AccessQueries, Passkeys, PolicyState } from '#access';
import type { Principal } from '#domain';
import { notFound } from '#domain';
import { IdPipe } from '../http/id.pipe.js';
import { Public } from '../http/public.decorator.js';
import { RateLimitGuard } from '../http/rate-limit.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { csrfOnlyForm } from './forms.js';
import { adminPasskeysPage } from './passkeys-page.js';
import { CurrentSession, viewerOf } from './viewer.js';
import { WebAuthGuard } from './web-auth.guard.js';
import { WebErrorFilter } from './web-error.filter.js';
import type { WebSession } from './web-sessions.js';

const passkeyId = new IdPipe('passkey');

/**
 * Admins see every passkey in use and revoke any of them (docs/identity.md, "Passkeys"); to
 * anyone else these pages do not exist (404, the refusal audited as for every admin page).
 */
@Public()
@Controller('admin/passkeys')
@UseGuards(WebAuthGuard, RateLimitGuard)
@UseFilters(WebErrorFilter)
export class AdminPasskeysController {
  constructor(
    private readonly queries: AccessQueries,
    private readonly passkeys: Passkeys,
    private readonly policy: PolicyState,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async list(@CurrentSession() session: WebSession): Promise<string> {
    const all = await this.passkeys.all(await this.admin(session));
    return adminPasskeysPage(viewerOf(session, this.policy), all);
  }

  @Post(':id/revoke')
  async revoke(
    @CurrentSession() session: WebSession,
    @Param('id', passkeyId) id: string,
    @Body(new ZodPipe(csrfOnlyForm)) _form: object,
    @Res() res: Response,
  ): Promise<void> {
    await this.passkeys.revoke(await this.admin(session), id);
    res.redirect(303, '/admin/passkeys');
  }

  private async admin(session: WebSession): Promise<Principal> {
    if (!(await this.queries.admitsToAdminPages(session.principal))) throw notFound('page');
    return session.principal;
  }
}
