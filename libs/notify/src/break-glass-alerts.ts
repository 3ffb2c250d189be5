import { Logger } from '@nestjs/common';
import type { KnownBlock } from '@slack/web-api';
import type { BreakGlassAlert, BreakGlassAlerts } from '#access';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from '#access';
import type { BreakGlassPolicy } from '#domain';
import type { SlackApi } from './slack-api.js';
import { describeFailure } from './slack-api.js';
import { quotedSection, slackText } from './slack-text.js';

const ATTEMPTS = 4;
const FIRST_RETRY_MS = 500;
const WEBHOOK_TIMEOUT_MS = 5000;

export interface BreakGlassAlertTargets {
  publicUrl: string;
  /** Slack, when configured: the channel the security team watches. */
  slack?: { api: SlackApi; channel: string };
}

/**
 * Tells the security team at once: a Slack message to the configured channel and/or a
 * signed JSON POST to the role's `breakGlass.notify.webhook`, each retried a few times, and a
 * warning in the log in every case. Nothing here carries a credential.
 */
export class BreakGlassNotifier implements BreakGlassAlerts {
  private readonly logger = new Logger('BreakGlass');
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly targets: BreakGlassAlertTargets) {}

  send(alert: BreakGlassAlert, policy: BreakGlassPolicy): void {
    this.logger.warn(
      `break-glass ${alert.kind}: ${alert.activatedBy} on ${alert.role} (request ${alert.requestId}, ` +
        `review due ${alert.reviewDueAt}${alert.escalations ? `, escalation ${alert.escalations}` : ''})`,
    );
    const { slack } = this.targets;
    if (policy.notify.slack && slack) this.track('slack', () => this.postToSlack(slack, alert));
    const { webhook } = policy.notify;
    if (webhook) this.track('webhook', () => this.postToWebhook(webhook, alert));
  }

  /** Waits for deliveries in flight (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private track(target: string, deliver: () => Promise<void>): void {
    const delivery = withRetries(deliver).catch((error: unknown) => {
      this.logger.error(`break-glass alert to ${target} failed: ${describeFailure(error)}`);
    });
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async postToSlack(slack: { api: SlackApi; channel: string }, alert: BreakGlassAlert) {
    const link = `${this.targets.publicUrl}/requests/${alert.requestId}`;
    // Each value escaped on its own (slackText); the message's own mrkdwn around them stays.
    const who = slackText(alert.activatedBy, { max: 512 });
    const role = slackText(alert.role, { max: 256 });
    const headline =
      alert.kind === 'activated'
        ? `:rotating_light: *Break-glass*: ${who} took *${role}* without approval`
        : `:rotating_light: *Break-glass still unreviewed* (escalation ${alert.escalations}): ` +
          `${who} on *${role}*`;
    const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text, verbatim: true });
    const blocks: KnownBlock[] = [
      { type: 'section', text: mrkdwn(headline) },
      { type: 'section', text: mrkdwn(quotedSection('Justification', alert.justification)) },
      {
        type: 'context',
        elements: [
          mrkdwn(
            `Review due ${slackText(alert.reviewDueAt, { max: 64 })} · <${link}|Review the activation>`,
          ),
        ],
      },
    ];
    await slack.api.postMessage(slack.channel, {
      text: `Break-glass ${slackText(alert.kind, { max: 64 })}: ${role}`,
      blocks,
    });
  }

  private async postToWebhook(webhook: { url: string; secret: string }, alert: BreakGlassAlert) {
    const body = JSON.stringify({
      event: `break_glass.${alert.kind}`,
      ...alert,
      link: `${this.targets.publicUrl}/requests/${alert.requestId}`,
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: webhookSignature(webhook.secret, timestamp, body),
        'idempotency-key': `${alert.requestId}:${alert.kind}:${alert.escalations}`,
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`webhook answered ${response.status}`);
  }
}

async function withRetries(deliver: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await deliver();
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, FIRST_RETRY_MS * 4 ** (attempt - 1)));
    }
  }
}
