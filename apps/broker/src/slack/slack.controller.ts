import { Body, Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { SlackReply } from '#notify';
import { SlackInteractions } from '#notify';
import { Public } from '../http/public.decorator.js';
import { UnauthenticatedLimiter } from '../http/unauthenticated-limiter.js';

/**
 * Slack button clicks (docs/api.md §7). Public to the bearer-token guard: Slack signs the request
 * instead, and the body arrives raw (configure-http.ts) so that signature can be checked. A bad
 * signature counts against the sender's address like a bad token (UnauthenticatedLimiter).
 */
@Controller('v1/slack')
export class SlackController {
  constructor(
    private readonly interactions: SlackInteractions,
    private readonly unauthenticated: UnauthenticatedLimiter,
  ) {}

  @Public()
  @Post('interactions')
  @HttpCode(200)
  interact(
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
    @Body() raw: unknown,
    @Headers('x-slack-request-timestamp') timestamp?: string,
    @Headers('x-slack-signature') signature?: string,
  ): Promise<SlackReply> {
    return this.unauthenticated.screen(request, response, 'invalid_slack_signature', () =>
      this.interactions.handle({ raw, timestamp, signature }),
    );
  }
}
