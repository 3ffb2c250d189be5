import type { Provider } from '@nestjs/common';
import {
  BREAK_GLASS_ALERTS,
  DecideRequest,
  PolicyState,
  REQUEST_NOTIFIER,
  silentNotifier,
} from '#access';
import { AuditLog } from '#audit';
import type { AppConfig } from '#config';
import type { Clock } from '#domain';
import { RequestRepository, UnitOfWork } from '#persistence';
import { BreakGlassNotifier } from './break-glass-alerts.js';
import { WebSlackApi } from './slack-api.js';
import { SlackInteractions } from './slack-interactions.js';
import { SlackNotifier } from './slack-notifier.js';

/** The request notifier both apps give the use cases: Slack when configured, silence otherwise. */
export function notifierProviders(config: AppConfig, clock: Clock): Provider[] {
  const slack = config.slack;
  if (!slack) return [{ provide: REQUEST_NOTIFIER, useValue: silentNotifier }];
  return [
    {
      provide: REQUEST_NOTIFIER,
      useFactory: (uow: UnitOfWork, requests: RequestRepository) =>
        new SlackNotifier(new WebSlackApi(slack), uow, requests, clock, {
          channel: slack.channel,
          publicUrl: config.publicUrl,
        }),
      inject: [UnitOfWork, RequestRepository],
    },
  ];
}

/** Break-glass alerts: the log always, Slack when configured, a role's webhook when it has one. */
export function breakGlassAlertProviders(config: AppConfig): Provider[] {
  const slack = config.slack;
  return [
    {
      provide: BREAK_GLASS_ALERTS,
      useFactory: () =>
        new BreakGlassNotifier({
          publicUrl: config.publicUrl,
          ...(slack ? { slack: { api: new WebSlackApi(slack), channel: slack.channel } } : {}),
        }),
    },
  ];
}

/** The Slack click handler, for the broker's Slack endpoint; nothing unless Slack is configured. */
export function slackInteractionProviders(config: AppConfig, clock: Clock): Provider[] {
  const slack = config.slack;
  if (!slack) return [];
  return [
    {
      provide: SlackInteractions,
      useFactory: (decide: DecideRequest, policy: PolicyState, uow: UnitOfWork, audit: AuditLog) =>
        new SlackInteractions(slack, config.publicUrl, decide, policy, uow, audit, clock),
      inject: [DecideRequest, PolicyState, UnitOfWork, AuditLog],
    },
  ];
}
