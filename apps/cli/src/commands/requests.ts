import type { AccessRequest, Minted, Page, RequestStatus } from '../api-types.js';
import type { BrokerClient } from '../broker-client.js';
import type { Context, Outcome } from '../context.js';
import { credentialForm } from '../credential-output.js';
import { formatInstant, relative } from '../format.js';
import { certificatePath, publicKeyAt } from '../ssh-key-file.js';
import { terminalText as t } from '../terminal-text.js';
import { outcomeExitCode, waitForDecision } from '../wait.js';
import { requestDetails, requestLine, requestTable } from '../views.js';

/** What to do once a request is filed: show it, or wait for its outcome. */
export interface FilingOptions {
  wait?: boolean;
  timeout?: number;
  interval: number;
  quiet?: boolean;
}

export interface RequestOptions extends FilingOptions {
  for?: string;
  reason?: string;
  recipient?: string;
}

/** `request <role>`: files the request; with --wait, returns once it is decided. */
export async function request(
  ctx: Context,
  role: string,
  options: RequestOptions,
): Promise<Outcome> {
  const client = await ctx.client();
  const created = await client.post<AccessRequest>('/v1/requests', {
    role,
    ...(options.for !== undefined ? { duration: options.for } : {}),
    ...(options.reason !== undefined ? { justification: options.reason } : {}),
    ...(options.recipient !== undefined ? { recipient: options.recipient } : {}),
  });
  return filed(ctx, client, created, options);
}

/** A request just filed (`request`, `extend`): shown, or with --wait its outcome. */
export async function filed(
  ctx: Context,
  client: BrokerClient,
  created: AccessRequest,
  options: FilingOptions,
): Promise<Outcome> {
  if (!options.wait) {
    return { data: created, text: options.quiet ? `${t(created.id)}\n` : requestDetails(created) };
  }
  const decided = await waitForDecision(client, created, {
    intervalMs: options.interval,
    timeoutMs: options.timeout,
    progress: ctx.json || options.quiet ? undefined : ctx.io.stderr,
    now: ctx.now,
  });
  suggestNext(ctx, decided);
  return {
    data: decided,
    text: options.quiet ? `${t(decided.id)}\n` : requestDetails(decided),
    exitCode: outcomeExitCode(decided),
  };
}

export interface WaitCommandOptions {
  timeout?: number;
  interval: number;
}

/** `wait <id>`: the --wait of `request`, for a request filed earlier. */
export async function wait(
  ctx: Context,
  id: string,
  options: WaitCommandOptions,
): Promise<Outcome> {
  const client = await ctx.client();
  const current = await client.get<AccessRequest>(`/v1/requests/${id}`);
  const decided = await waitForDecision(client, current, {
    intervalMs: options.interval,
    timeoutMs: options.timeout,
    progress: ctx.json ? undefined : ctx.io.stderr,
    now: ctx.now,
  });
  suggestNext(ctx, decided);
  return { data: decided, text: requestDetails(decided), exitCode: outcomeExitCode(decided) };
}

function suggestNext(ctx: Context, request: AccessRequest): void {
  if (request.status === 'approved') {
    ctx.note(`next: \`countersign creds ${t(request.id)}\` (as ${t(request.recipient)})`);
  }
}

export interface ListOptions {
  status?: RequestStatus;
  role?: string;
  mine?: boolean;
  toApprove?: boolean;
  limit: number;
}

export async function list(ctx: Context, options: ListOptions): Promise<Outcome> {
  const client = await ctx.client();
  const page = await client.collect<AccessRequest>(
    '/v1/requests',
    {
      status: options.status,
      role: options.role,
      mine: options.mine,
      toApprove: options.toApprove,
    },
    options.limit,
  );
  return listOutcome(ctx, page, requestTable(page.items, ctx.paintStatus(2)));
}

/** Shared by the list commands: say on stderr that more exist than were shown. */
export function listOutcome<T>(ctx: Context, page: Page<T>, text: string): Outcome {
  if (page.nextCursor) ctx.note(`(first ${page.items.length} shown; more with --limit)`);
  return { data: page, text };
}

export async function show(ctx: Context, id: string): Promise<Outcome> {
  const found = await (await ctx.client()).get<AccessRequest>(`/v1/requests/${id}`);
  return { data: found, text: requestDetails(found) };
}

export async function approve(ctx: Context, id: string, comment?: string): Promise<Outcome> {
  const client = await ctx.client();
  const decided = await client.post<AccessRequest>(
    `/v1/requests/${id}/approve`,
    comment !== undefined ? { comment } : {},
  );
  return { data: decided, text: `${requestLine(decided)}\n` };
}

export async function deny(ctx: Context, id: string, reason: string): Promise<Outcome> {
  const client = await ctx.client();
  const decided = await client.post<AccessRequest>(`/v1/requests/${id}/deny`, { reason });
  return { data: decided, text: `${requestLine(decided)}\n` };
}

export async function cancel(ctx: Context, id: string): Promise<Outcome> {
  const cancelled = await (await ctx.client()).post<AccessRequest>(`/v1/requests/${id}/cancel`);
  return { data: cancelled, text: `${requestLine(cancelled)}\n` };
}

/**
 * `creds <id>`: mints the credential (once). The credential alone goes to stdout, so
 * `$(countersign creds …)` captures just it; the grant and its expiry go to stderr. An ssh role
 * takes `--ssh-key <file.pub>`, and the certificate printed is what ssh reads as `<key>-cert.pub`.
 */
export async function creds(
  ctx: Context,
  id: string,
  options: { env?: boolean; sshKey?: string },
): Promise<Outcome> {
  const body =
    options.sshKey === undefined ? {} : { sshPublicKey: await publicKeyAt(options.sshKey) };
  const minted = await (await ctx.client()).post<Minted>(`/v1/requests/${id}/credentials`, body);
  const ends = `${t(formatInstant(minted.expiresAt))} (${relative(minted.expiresAt, ctx.now())})`;
  if (minted.extended) {
    ctx.note(
      `grant ${t(minted.grantId)} extended from ${t(formatInstant(minted.extended.from))}, now expires ${ends}`,
    );
  } else {
    ctx.note(`grant ${t(minted.grantId)}, expires ${ends}`);
  }
  // An extension of a login held at the target (postgres) brings no new credential.
  if (!minted.credential) {
    ctx.note('no new credential: the one you hold works until then');
    return { data: minted, text: '' };
  }
  const { text, note } = credentialForm(minted.credential, options.env === true);
  if (note) ctx.note(note);
  if (minted.credential.type === 'ssh-certificate' && options.sshKey !== undefined) {
    ctx.note(`ssh uses it saved as ${t(certificatePath(options.sshKey))}`);
  }
  return { data: minted, text };
}
