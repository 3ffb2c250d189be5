import { Body, Controller, HttpCode, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApprovalSignatures, DecideRequest } from '#access';
import { IdPipe } from '../http/id.pipe.js';
import { Public } from '../http/public.decorator.js';
import { RateLimitGuard } from '../http/rate-limit.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { JsonErrors } from './json-errors.filter.js';
import type { SignedApprovalBody } from './passkey-forms.js';
import { csrfOnlyJson, signedApprovalBody } from './passkey-forms.js';
import { CurrentSession } from './viewer.js';
import { WebAuthGuard } from './web-auth.guard.js';
import type { WebSession } from './web-sessions.js';

const requestId = new IdPipe('request');

/**
 * The two JSON steps of a passkey-signed approval (docs/identity.md, "Signed approvals"), called
 * by the request page's script: options (a nonce kept server-side for this session and request),
 * then the assertion with the comment. Both are POSTs with the session's form token in the body,
 * so another site can neither start nor finish one; the approval itself goes through the same
 * use case as every other, which verifies the assertion under the request's lock.
 */
@Public()
@Controller('requests/:id/approval')
@UseGuards(WebAuthGuard, RateLimitGuard)
@UseFilters(JsonErrors)
export class ApprovalSigningController {
  constructor(
    private readonly signatures: ApprovalSignatures,
    private readonly decide: DecideRequest,
  ) {}

  @Post('options')
  @HttpCode(200)
  options(
    @CurrentSession() session: WebSession,
    @Param('id', requestId) id: string,
    @Body(new ZodPipe(csrfOnlyJson)) _body: object,
  ): Promise<unknown> {
    return this.signatures.options(session, id);
  }

  @Post()
  @HttpCode(200)
  async approve(
    @CurrentSession() session: WebSession,
    @Param('id', requestId) id: string,
    @Body(new ZodPipe(signedApprovalBody)) body: SignedApprovalBody,
  ): Promise<{ status: string }> {
    const signed = { sessionId: session.id, response: body.response };
    const view = await this.decide.approve(session.principal, id, body.comment, signed);
    return { status: view.status };
  }
}
