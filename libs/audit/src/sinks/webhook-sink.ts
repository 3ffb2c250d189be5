import type { SinkBatch } from './batch.js';
import { eventJson } from './batch.js';
import type { AuditSink } from './sink.js';
import { SinkError, errorCode } from './sink.js';

/** The headers that sign a body: the webhook credential provider's (timestamp and HMAC). */
export type SignBody = (body: string) => Record<string, string>;

export interface WebhookTarget {
  url: string;
  sign: SignBody;
  timeoutMs: number;
}

/**
 * Each batch POSTed as `{"events":[...],"checkpoints":[...]}`, signed; only a 2xx answer counts
 * as delivered. Events are their leaf JSON, so a receiver can hash each to its Merkle leaf; each
 * checkpoint covers events of this batch or earlier ones.
 */
export class WebhookSink implements AuditSink {
  readonly kind = 'webhook';

  constructor(
    readonly name: string,
    private readonly target: WebhookTarget,
  ) {}

  async deliver(batch: SinkBatch, signal: AbortSignal): Promise<void> {
    const body = `{"events":[${batch.events.map(eventJson).join(',')}],"checkpoints":${JSON.stringify(batch.checkpoints)}}`;
    let response: Response;
    try {
      response = await fetch(this.target.url, {
        method: 'POST',
        // A redirect would resend the signed log elsewhere.
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.target.timeoutMs)]),
        headers: { 'content-type': 'application/json', ...this.target.sign(body) },
        body,
      });
    } catch (error) {
      throw new SinkError(`webhook POST failed (${errorCode(causeOf(error))})`);
    }
    // The answer's body means nothing here: release the connection without reading it.
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) {
      throw new SinkError(`webhook answered HTTP ${response.status}`);
    }
  }
}

/** fetch wraps network errors in a TypeError whose `cause` has the code. */
function causeOf(error: unknown): unknown {
  return (error as { cause?: unknown } | null)?.cause ?? error;
}
