import type { AccessRequest } from '../api-types.js';
import type { Context, Outcome } from '../context.js';
import type { FilingOptions } from './requests.js';
import { filed } from './requests.js';

export interface ExtendOptions extends FilingOptions {
  duration: string;
  justification?: string;
}

/**
 * `extend <grantId>`: asks for more time on a grant you hold (`POST /v1/grants/:id/extend`). The
 * answer is a request, approved like any other; `creds` on it then moves the grant's end.
 */
export async function extend(
  ctx: Context,
  grantId: string,
  options: ExtendOptions,
): Promise<Outcome> {
  const client = await ctx.client();
  const created = await client.post<AccessRequest>(`/v1/grants/${grantId}/extend`, {
    duration: options.duration,
    ...(options.justification !== undefined ? { justification: options.justification } : {}),
  });
  return filed(ctx, client, created, options);
}
