import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import type { SlackReply } from '#notify';
import { SlackInteractions } from '#notify';
import { Public } from '../http/public.decorator.js';

/**
 * Slack button clicks (API.md §7). Public to the bearer-token guard: Slack signs the request
 * instead, and the body arrives raw (configure-http.ts) so that signature can be checked.
 */
@Controller('v1/slack')
export class SlackController {
  constructor(private readonly interactions: SlackInteractions) {}

  @Public()
  @Post('interactions')
  @HttpCode(200)
  interact(
    @Body() raw: unknown,
    @Headers('x-slack-request-timestamp') timestamp?: string,
    @Headers('x-slack-signature') signature?: string,
  ): Promise<SlackReply> {
    return this.interactions.handle({ raw, timestamp, signature });
  }
}
