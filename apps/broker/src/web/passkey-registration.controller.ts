import { Body, Controller, HttpCode, Post, UseFilters, UseGuards } from '@nestjs/common';
import type { PasskeyView } from '#access';
import { PasskeyRegistration } from '#access';
import { Public } from '../http/public.decorator.js';
import { RateLimitGuard } from '../http/rate-limit.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { JsonErrors } from './json-errors.filter.js';
import type { RegisterPasskeyBody } from './passkey-forms.js';
import { csrfOnlyJson, registerPasskeyBody } from './passkey-forms.js';
import { CurrentSession } from './viewer.js';
import { WebAuthGuard } from './web-auth.guard.js';
import type { WebSession } from './web-sessions.js';

/**
 * The two JSON steps of registering a passkey, called by the registration page's script: options
 * (a challenge kept server-side for this session), then the authenticator's response. Both are
 * POSTs with the session's form token in the body, so another site cannot start or finish one.
 */
@Public()
@Controller('me/passkeys/registration')
@UseGuards(WebAuthGuard, RateLimitGuard)
@UseFilters(JsonErrors)
export class PasskeyRegistrationController {
  constructor(private readonly registration: PasskeyRegistration) {}

  @Post('options')
  @HttpCode(200)
  options(
    @CurrentSession() session: WebSession,
    @Body(new ZodPipe(csrfOnlyJson)) _body: object,
  ): Promise<unknown> {
    return this.registration.options(session);
  }

  @Post()
  @HttpCode(201)
  async register(
    @CurrentSession() session: WebSession,
    @Body(new ZodPipe(registerPasskeyBody)) body: RegisterPasskeyBody,
  ): Promise<{ passkey: PasskeyView }> {
    const passkey = await this.registration.register(session, body.response, body.name);
    return { passkey };
  }
}
