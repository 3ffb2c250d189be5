import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { ProviderDefinition } from '#domain';
import type { GrantRow } from '#persistence';
import type {
  CredentialProvider,
  ExtendContext,
  ExtendedAccess,
  IssuedCredential,
  WebhookCredential,
} from './credential-provider.js';
import { ProviderError } from './credential-provider.js';
import { FailFast } from './fail-fast.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-signature.js';

export type WebhookSettings = Extract<ProviderDefinition, { type: 'webhook' }>;

export type WebhookEvent = 'grant' | 'revoke' | 'extend';

export interface WebhookRetry {
  /** Attempts per grant, the first included; revoke makes one (the revocation path retries). */
  grantAttempts: number;
  /** First pause between attempts, doubled each time up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

const DEFAULT_RETRY: WebhookRetry = { grantAttempts: 3, backoffMs: 200, maxBackoffMs: 2000 };

/** The most of a receiver's answer that is read. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The receiver's answer to `grant`: an optional `credential` of at most 20 string fields. */
const grantAnswer = z.object({
  credential: z
    .record(
      z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/)
        .refine((key) => key !== 'type', 'type is set by countersign'),
      z.string().max(4096),
    )
    .refine((fields) => Object.keys(fields).length <= 20, 'at most 20 fields')
    .optional(),
});

/**
 * Grant and revoke as signed JSON POSTs to the configured URL (docs/providers.md). Each carries
 * `Idempotency-Key: <grantId>:<event>` (`<grantId>:extend:<extension request id>` for an
 * extension), so the receiver can tell a retry from a new grant or a new extension.
 */
export class WebhookProvider implements CredentialProvider {
  readonly type = 'webhook';
  private readonly unreachable = new FailFast();

  constructor(
    private readonly settings: WebhookSettings,
    private readonly retry: WebhookRetry = DEFAULT_RETRY,
  ) {}

  async grant(grant: GrantRow): Promise<IssuedCredential> {
    const answer = await this.send('grant', grant, this.retry.grantAttempts);
    const parsed = grantAnswer.safeParse(parseJson(answer));
    if (!parsed.success) throw new ProviderError('webhook receiver answered grant malformed');
    const credential: WebhookCredential = { ...parsed.data.credential, type: 'webhook' };
    return { credential };
  }

  /**
   * Tells the receiver the grant's new end (`expiresAt`, with `previousExpiresAt`), keyed
   * `<grantId>:extend:<extensionRequestId>` (an undo: `…:undo`, `undo: true`); a `credential` in
   * its answer is handed on.
   */
  async extend(grant: GrantRow, context: ExtendContext): Promise<ExtendedAccess> {
    this.unreachable.check();
    const extension = {
      previousExpiresAt: context.previousExpiresAt.toISOString(),
      extensionRequestId: context.extensionRequestId,
      ...(context.undo ? { undo: true as const } : {}),
    };
    const answer = await this.send('extend', grant, this.retry.grantAttempts, extension);
    const parsed = grantAnswer.safeParse(parseJson(answer));
    if (!parsed.success) throw new ProviderError('webhook receiver answered extend malformed');
    const fields = parsed.data.credential;
    return fields ? { credential: { ...fields, type: 'webhook' } } : {};
  }

  async revoke(grant: GrantRow): Promise<void> {
    this.unreachable.check();
    await this.send('revoke', grant, 1);
  }

  /** A receiver cannot be listed: it must honour `expiresAt` itself (docs/providers.md). */
  listLive(): Promise<[]> {
    return Promise.resolve([]);
  }

  /** POSTs the event, retrying 5xx, 429, timeouts and network errors with capped backoff. */
  private async send(
    event: WebhookEvent,
    grant: GrantRow,
    attempts: number,
    extension?: WebhookExtension,
  ): Promise<string> {
    const body = JSON.stringify({ ...webhookPayload(event, grant), ...extension });
    const key = extension
      ? `${grant.id}:${event}:${extension.extensionRequestId}${extension.undo ? ':undo' : ''}`
      : `${grant.id}:${event}`;
    let failure = 'no attempt made';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        const pause = this.retry.backoffMs * 2 ** (attempt - 2);
        await sleep(Math.min(pause, this.retry.maxBackoffMs));
      }
      const outcome = await this.post(key, body);
      if (outcome.ok) return outcome.text;
      failure = `webhook ${event}: ${outcome.failure}`;
      if (outcome.unreachable) this.unreachable.trip(failure);
      if (!outcome.retryable) break;
    }
    throw new ProviderError(failure);
  }

  private async post(
    idempotencyKey: string,
    body: string,
  ): Promise<
    | { ok: true; text: string }
    | { ok: false; failure: string; retryable: boolean; unreachable?: true }
  > {
    const timestamp = String(Math.floor(Date.now() / 1000));
    let response: Response;
    try {
      response = await fetch(this.settings.url, {
        method: 'POST',
        // A redirect would resend the signed request elsewhere.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeout * 1000),
        headers: {
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: webhookSignature(this.settings.secret, timestamp, body),
        },
        body,
      });
    } catch (error) {
      return {
        ok: false,
        failure: `receiver unreachable (${networkCode(error)})`,
        retryable: true,
        unreachable: true,
      };
    }
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel();
      const retryable = response.status >= 500 || response.status === 429;
      return { ok: false, failure: `receiver answered HTTP ${response.status}`, retryable };
    }
    try {
      return { ok: true, text: await readBounded(response, MAX_ANSWER_BYTES) };
    } catch {
      return { ok: false, failure: 'receiver answer unreadable or too large', retryable: false };
    }
  }
}

/** What an `extend` event adds: the end it replaces and the request that approved it. */
interface WebhookExtension {
  previousExpiresAt: string;
  extensionRequestId: string;
  /** The redemption failed after the receiver was told: the end goes back to `expiresAt`. */
  undo?: true;
}

/** What the receiver is told: ids and the grant's terms, never a credential. */
export function webhookPayload(event: WebhookEvent, grant: GrantRow) {
  return {
    event,
    grantId: grant.id,
    requestId: grant.requestId,
    recipient: grant.recipient,
    role: grant.role,
    resource: grant.resource,
    actions: grant.actions,
    approvers: grant.approvers,
    issuedAt: grant.issuedAt.toISOString(),
    expiresAt: grant.expiresAt.toISOString(),
  };
}

async function readBounded(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new Error('answer too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function networkCode(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return 'timeout';
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' && /^[A-Z_]{1,32}$/.test(cause.code)
    ? cause.code
    : 'network error';
}
