import {
  Body,
  Controller,
  Get,
  Header,
  Inject,
  Param,
  Post,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import type { AppConfig } from '#config';
import { APP_CONFIG, CLOCK, PolicyState, Passkeys } from '#access';
import type { Clock } from '#domain';
import { isFreshSignIn } from '#domain';
import { IdPipe } from '../http/id.pipe.js';
import { Public } from '../http/public.decorator.js';
import { RateLimitGuard } from '../http/rate-limit.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { csrfOnlyForm } from './forms.js';
import { renamePasskeyForm } from './passkey-forms.js';
import { PASSKEY_SCRIPT_PATH, passkeysPage, registerPasskeyPage } from './passkeys-page.js';
import { CurrentSession, viewerOf } from './viewer.js';
import { WebAuthGuard } from './web-auth.guard.js';
import { WebErrorFilter } from './web-error.filter.js';
import { pageScriptPolicy } from './web-http.js';
import type { WebSession } from './web-sessions.js';

const passkeyId = new IdPipe('passkey');
const HTML = 'text/html; charset=utf-8';

/**
 * The signed-in person's passkeys (docs/identity.md, "Passkeys"): the list, the registration page
 * (the one page here that runs a script, see pageScriptPolicy), rename and remove. GET only
 * reads; every change is a POST carrying the form token (WebAuthGuard).
 */
@Public()
@Controller('me/passkeys')
@UseGuards(WebAuthGuard, RateLimitGuard)
@UseFilters(WebErrorFilter)
export class PasskeysController {
  constructor(
    private readonly passkeys: Passkeys,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  async list(@CurrentSession() session: WebSession): Promise<string> {
    const mine = await this.passkeys.mine(session.principal);
    const fresh = isFreshSignIn(session.signedInAt, this.clock.now());
    return passkeysPage(viewerOf(session, this.policy), mine, fresh);
  }

  @Get('new')
  @Header('Content-Type', HTML)
  @Header('Cache-Control', 'no-store')
  register(
    @CurrentSession() session: WebSession,
    @Res({ passthrough: true }) res: Response,
  ): string {
    // The ceremony's two JSON posts go to this origin.
    const policy = pageScriptPolicy(
      res,
      this.config.publicUrl,
      PASSKEY_SCRIPT_PATH,
      "connect-src 'self'",
    );
    res.setHeader('Content-Security-Policy', policy);
    return registerPasskeyPage(viewerOf(session, this.policy));
  }

  @Post(':id/rename')
  async rename(
    @CurrentSession() session: WebSession,
    @Param('id', passkeyId) id: string,
    @Body(new ZodPipe(renamePasskeyForm)) form: { name: string },
    @Res() res: Response,
  ): Promise<void> {
    await this.passkeys.rename(session.principal, id, form.name);
    res.redirect(303, '/me/passkeys');
  }

  @Post(':id/remove')
  async remove(
    @CurrentSession() session: WebSession,
    @Param('id', passkeyId) id: string,
    @Body(new ZodPipe(csrfOnlyForm)) _form: object,
    @Res() res: Response,
  ): Promise<void> {
    await this.passkeys.remove(session, id);
    res.redirect(303, '/me/passkeys');
  }
}
