import type { AuditEvent, ChainVerification } from '../api-types.js';
import type { Context, Outcome } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { terminalText as t } from '../terminal-text.js';
import { auditTable } from '../views.js';
import { listOutcome } from './requests.js';

export async function verify(ctx: Context): Promise<Outcome> {
  const result = await (await ctx.client()).get<ChainVerification>('/v1/audit/verify');
  return result.ok
    ? {
        data: result,
        text: `audit chain intact: ${t(String(result.events))} events, head ${t(result.head)}\n`,
      }
    : {
        data: result,
        text:
          `audit chain BROKEN at event ${t(String(result.brokenAt ?? '?'))} ` +
          `(of ${t(String(result.events))})${result.reason ? `: ${t(result.reason)}` : ''}\n`,
        exitCode: ExitCode.auditBroken,
      };
}

export interface AuditListOptions {
  type?: string;
  actor?: string;
  request?: string;
  since?: string;
  until?: string;
  limit: number;
}

export async function auditList(ctx: Context, options: AuditListOptions): Promise<Outcome> {
  const client = await ctx.client();
  const page = await client.collect<AuditEvent>(
    '/v1/audit',
    {
      type: options.type,
      actor: options.actor,
      requestId: options.request,
      since: options.since,
      until: options.until,
    },
    options.limit,
  );
  return listOutcome(ctx, page, auditTable(page.items));
}
