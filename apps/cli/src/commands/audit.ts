import type { OfflineLogReport } from '#evidence';
import type { AuditEvent, ChainVerification } from '../api-types.js';
import type { Context, Outcome } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { checkLogOffline, readSavedCheckpoint, saveCheckpoint } from '../log-check.js';
import { terminalText as t } from '../terminal-text.js';
import { auditTable } from '../views.js';
import { loadLogKey } from './evidence.js';
import { listOutcome } from './requests.js';

/**
 * `audit verify [--checkpoint <file>] [--log-key <file|url>]`: the broker's own check (GET /v1/audit/verify), then the
 * CLI's, which trusts nothing the broker computed but its signature (log-check.ts). Exit 14 when
 * either finds the log broken; the saved checkpoint is replaced only when both hold.
 */
export async function verify(
  ctx: Context,
  options: { checkpoint?: string; logKey?: string },
): Promise<Outcome> {
  const client = await ctx.client();
  const file = options.checkpoint;
  const saved = file === undefined ? undefined : await readSavedCheckpoint(file);
  const pinned = options.logKey === undefined ? undefined : await loadLogKey(ctx, options.logKey);
  const broker = await client.get<ChainVerification>('/v1/audit/verify');
  const { report: offline, checkpoint } = await checkLogOffline(ctx, client, saved, pinned);
  const ok = broker.ok && offline.ok;
  if (ok && file !== undefined) await saveCheckpoint(file, checkpoint);
  const lines = [brokerLine(broker), offlineLine(offline)];
  if (file !== undefined) lines.push(savedLine(file, saved !== undefined, offline, ok));
  return {
    data: {
      ...broker,
      ok,
      offline,
      ...(file === undefined ? {} : { checkpointFile: { path: file, saved: ok } }),
    },
    text: `${lines.join('\n')}\n`,
    ...(ok ? {} : { exitCode: ExitCode.auditBroken }),
  };
}

function brokerLine(result: ChainVerification): string {
  return result.ok
    ? `audit chain intact: ${t(String(result.events))} events, head ${t(result.head)}`
    : `audit chain BROKEN at event ${t(String(result.brokenAt ?? '?'))} ` +
        `(of ${t(String(result.events))})${result.reason ? `: ${t(result.reason)}` : ''}`;
}

function offlineLine(report: OfflineLogReport): string {
  if (!report.ok)
    return `offline check: audit log BROKEN: ${t(report.detail ?? report.reason ?? '?')}`;
  const size = String(report.checkpoint?.size ?? 0);
  return (
    `offline check: ${t(String(report.events))} events rehashed, ` +
    `signed checkpoint of size ${t(size)} matches their Merkle tree`
  );
}

function savedLine(file: string, hadSaved: boolean, report: OfflineLogReport, ok: boolean): string {
  const since = hadSaved
    ? `the log only grew since the saved checkpoint (size ${t(String(report.saved?.size ?? '?'))}); `
    : '';
  return ok
    ? `${since}checkpoint of size ${t(String(report.checkpoint?.size ?? 0))} saved to ${t(file)}`
    : `${t(file)} left as it was`;
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
