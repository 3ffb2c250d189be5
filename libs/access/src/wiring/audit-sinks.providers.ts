import type { Provider } from '@nestjs/common';
import type { AuditSink } from '#audit';
import { FileSink, SinkDeliverer, SyslogSink, WebhookSink } from '#audit';
import type { AppConfig, AuditSinkConfig } from '#config';
import type { Clock } from '#domain';
import { UnitOfWork } from '#persistence';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  webhookSignature,
} from '../providers/webhook-signature.js';
import { MetricsService } from './metrics.service.js';

/**
 * The audit stream (`audit.sinks`, docs/audit-sinks.md), in the broker and the worker alike: the
 * deliverers of every process share the cursors, one delivering to each sink at a time. Nothing
 * when no sink is configured.
 */
export function auditSinkProviders(config: AppConfig, clock: Clock): Provider[] {
  if (config.audit.sinks.length === 0) return [];
  return [
    {
      provide: SinkDeliverer,
      useFactory: (uow: UnitOfWork, metrics: MetricsService) => {
        const deliverer = new SinkDeliverer(uow, config.audit.sinks.map(auditSink), clock);
        metrics.measureAuditSinkLag(async () =>
          Object.fromEntries((await deliverer.status()).map(({ name, lag }) => [name, lag])),
        );
        return deliverer;
      },
      inject: [UnitOfWork, MetricsService],
    },
  ];
}

export function auditSink(sink: AuditSinkConfig): AuditSink {
  switch (sink.type) {
    case 'file':
      return new FileSink(sink.name, sink.path);
    case 'syslog':
      return new SyslogSink(sink.name, sink);
    case 'webhook': {
      const { secret } = sink;
      // Signed as the webhook credential provider signs its calls (docs/providers.md).
      const sign = (body: string) => {
        const timestamp = String(Math.floor(Date.now() / 1000));
        return {
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: webhookSignature(secret, timestamp, body),
        };
      };
      return new WebhookSink(sink.name, { url: sink.url, sign, timeoutMs: sink.timeout * 1000 });
    }
  }
}
