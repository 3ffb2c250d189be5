import type { Provider } from '@nestjs/common';
import {
  BREAK_GLASS_ALERTS,
  DecideRequest,
  EmailClaims,
  MetricsService,
  PolicyState,
  REQUEST_NOTIFIER,
  silentNotifier,
} from '#access';
import { AuditLog } from '#audit';
import type { AppConfig } from '#config';
import type { Clock } from '#domain';
import type { NotificationChannel } from '#persistence';
import {
  NotificationOutbox,
  PrincipalGroupsRepository,
  RequestRepository,
  UnitOfWork,
} from '#persistence';
import { BreakGlassNotifier } from './break-glass-alerts.js';
import { EmailDelivery } from './email-delivery.js';
import { NoticeFactsReader } from './notice-facts.js';
import { NotificationMetrics } from './notification-metrics.js';
import type { ChannelSender, DispatcherOptions } from './outbox-dispatcher.js';
import { OutboxDispatcher } from './outbox-dispatcher.js';
import { OutboxWriter } from './outbox-writer.js';
import type { SlackApi } from './slack-api.js';
import { WebSlackApi } from './slack-api.js';
import { SlackDelivery } from './slack-delivery.js';
import { SlackInteractions } from './slack-interactions.js';

export interface NotifierOptions {
  /** Whether this process delivers the outbox (the worker side: apps/worker, or an inline broker). */
  dispatch: boolean;
  /** Tests shorten the poll and the lease. */
  dispatcher?: DispatcherOptions;
  /** Tests talk to a fake Slack through another client. */
  slackApi?: SlackApi;
}

/**
 * Notifications (docs/notifications.md): every process writes them into the outbox with the
 * change (REQUEST_NOTIFIER); the worker side also delivers them (OutboxDispatcher). Without a
 * channel configured, nothing is written.
 */
export function notifierProviders(
  config: AppConfig,
  clock: Clock,
  options: NotifierOptions,
): Provider[] {
  const slack = config.slack;
  if (!slack && !config.email) return [{ provide: REQUEST_NOTIFIER, useValue: silentNotifier }];
  // Email claims of verified tokens are kept only when email is on.
  const shared: Provider[] = [NotificationOutbox, ...(config.email ? [EmailClaims] : [])];
  const writer: Provider = {
    provide: REQUEST_NOTIFIER,
    useFactory: (
      outbox: NotificationOutbox,
      groups: PrincipalGroupsRepository,
      policy: PolicyState,
      dispatcher?: OutboxDispatcher,
    ) =>
      new OutboxWriter(
        outbox,
        groups,
        policy,
        clock,
        {
          ...(slack ? { slack: { channel: slack.channel, users: slack.users } } : {}),
          email: config.email !== undefined,
        },
        () => dispatcher?.kick(),
      ),
    inject: [
      NotificationOutbox,
      PrincipalGroupsRepository,
      PolicyState,
      { token: OutboxDispatcher, optional: true },
    ],
  };
  if (!options.dispatch) return [...shared, writer];
  const dispatcher: Provider = {
    provide: OutboxDispatcher,
    useFactory: (
      uow: UnitOfWork,
      outbox: NotificationOutbox,
      requests: RequestRepository,
      metrics: MetricsService,
      policy: PolicyState,
    ) => {
      const facts = new NoticeFactsReader(uow, requests, clock, config.publicUrl);
      const senders: Partial<Record<NotificationChannel, ChannelSender>> = {};
      if (slack) {
        const api = options.slackApi ?? new WebSlackApi(slack);
        const delivery = new SlackDelivery(api, uow, facts, clock, config.publicUrl);
        senders['slack-channel'] = delivery;
        senders['slack-dm'] = delivery;
      }
      if (config.email) {
        senders.email = new EmailDelivery(config.email, uow, facts, policy, config.publicUrl);
      }
      const measured = new NotificationMetrics(metrics, uow, outbox);
      return new OutboxDispatcher(uow, outbox, clock, senders, measured, options.dispatcher);
    },
    inject: [UnitOfWork, NotificationOutbox, RequestRepository, MetricsService, PolicyState],
  };
  return [...shared, writer, dispatcher];
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
