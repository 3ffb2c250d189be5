import type { Grant } from '../api-types.js';
import type { Context, Outcome } from '../context.js';
import { terminalText as t } from '../terminal-text.js';
import { grantDetails, grantTable } from '../views.js';
import { listOutcome } from './requests.js';

export interface GrantListOptions {
  status?: Grant['status'];
  overdue?: boolean;
  limit: number;
}

export async function grants(ctx: Context, options: GrantListOptions): Promise<Outcome> {
  const client = await ctx.client();
  const page = await client.collect<Grant>(
    '/v1/grants',
    { status: options.status, overdue: options.overdue },
    options.limit,
  );
  return listOutcome(ctx, page, grantTable(page.items, ctx.paintStatus(3)));
}

export async function grant(ctx: Context, id: string): Promise<Outcome> {
  const found = await (await ctx.client()).get<Grant>(`/v1/grants/${id}`);
  return { data: found, text: grantDetails(found, ctx.now()) };
}

export async function revoke(ctx: Context, id: string, reason: string): Promise<Outcome> {
  const revoked = await (await ctx.client()).post<Grant>(`/v1/grants/${id}/revoke`, { reason });
  return { data: revoked, text: `grant ${t(revoked.id)} ${t(revoked.status)}\n` };
}
