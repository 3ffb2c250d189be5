import type { AccessRequest, BreakGlassActivation } from '../api-types.js';
import type { Context, Outcome } from '../context.js';
import { credentialForm } from '../credential-output.js';
import { formatInstant, relative } from '../format.js';
import { breakGlassTable } from '../security-views.js';
import { certificatePath, publicKeyAt } from '../ssh-key-file.js';
import { terminalText as t } from '../terminal-text.js';
import { requestDetails } from '../views.js';
import { listOutcome } from './requests.js';

export interface ActivateOptions {
  reason: string;
  for?: string;
  env?: boolean;
  /** An ssh role's public key file (`creds --ssh-key`). */
  sshKey?: string;
}

/**
 * `break-glass activate <role>`: a credential at once, for yourself, without an approval
 * (docs/break-glass.md). Printed like `creds`: the credential alone on stdout; on stderr the
 * grant, its end, and that a review by someone else is now due.
 */
export async function activate(
  ctx: Context,
  role: string,
  options: ActivateOptions,
): Promise<Outcome> {
  const activation = await (
    await ctx.client()
  ).post<BreakGlassActivation>('/v1/break-glass', {
    role,
    justification: options.reason,
    ...(options.for !== undefined ? { duration: options.for } : {}),
    ...(options.sshKey !== undefined ? { sshPublicKey: await publicKeyAt(options.sshKey) } : {}),
  });
  const now = ctx.now();
  ctx.note(
    `break-glass: grant ${t(activation.grantId)}, expires ${t(formatInstant(activation.expiresAt))} (${relative(activation.expiresAt, now)})`,
  );
  ctx.note(
    `the security team has been alerted; review due ${t(formatInstant(activation.breakGlass.reviewDueAt))} (request ${t(activation.requestId)})`,
  );
  const { text, note } = credentialForm(activation.credential, options.env === true);
  if (note) ctx.note(note);
  if (activation.credential.type === 'ssh-certificate' && options.sshKey !== undefined) {
    ctx.note(`ssh uses it saved as ${t(certificatePath(options.sshKey))}`);
  }
  return { data: activation, text };
}

export interface BreakGlassListOptions {
  unreviewed?: boolean;
  limit: number;
}

/** `break-glass ls`: activations you may see, newest first; `--unreviewed`: reviews still owed. */
export async function listActivations(
  ctx: Context,
  options: BreakGlassListOptions,
): Promise<Outcome> {
  const page = await (
    await ctx.client()
  ).collect<AccessRequest>(
    '/v1/requests',
    { breakGlass: true, unreviewed: options.unreviewed },
    options.limit,
  );
  return listOutcome(ctx, page, breakGlassTable(page.items, ctx.now()));
}

/** `break-glass review <id>` (also `review <id>`): the after-the-fact review of an activation. */
export async function review(
  ctx: Context,
  id: string,
  options: { comment?: string },
): Promise<Outcome> {
  const reviewed = await (
    await ctx.client()
  ).post<AccessRequest>(
    `/v1/requests/${id}/review`,
    options.comment !== undefined ? { comment: options.comment } : {},
  );
  return { data: reviewed, text: requestDetails(reviewed) };
}
