import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import type { BreakGlassActivation, RequestView } from '#access';
import { ActivateBreakGlass, ReviewBreakGlass } from '#access';
import type { AuthenticatedPrincipal } from '#identity';
import { IdPipe } from '../http/id.pipe.js';
import { CurrentPrincipal } from '../http/principal.decorator.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { durationSeconds } from './requests.controller.js';
import { checkedSshPublicKey } from './ssh-public-key-field.js';
import type { BreakGlassBody } from './schemas.js';
import { breakGlassBody, reviewBody } from './schemas.js';

/** Break-glass (docs/break-glass.md): activation now, review afterwards. */
@Controller('v1')
export class BreakGlassController {
  constructor(
    private readonly activate: ActivateBreakGlass,
    private readonly review: ReviewBreakGlass,
  ) {}

  @Post('break-glass')
  @HttpCode(201)
  activateBreakGlass(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Body(new ZodPipe(breakGlassBody)) body: BreakGlassBody,
  ): Promise<BreakGlassActivation> {
    return this.activate.execute(principal, {
      role: body.role,
      justification: body.justification,
      durationSeconds: durationSeconds(body.duration),
      sshPublicKey: checkedSshPublicKey(body.sshPublicKey),
    });
  }

  @Post('requests/:id/review')
  @HttpCode(200)
  reviewActivation(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Param('id', new IdPipe('request')) id: string,
    @Body(new ZodPipe(reviewBody)) body: { comment?: string },
  ): Promise<RequestView> {
    return this.review.execute(principal, id, body.comment);
  }
}
