import type { ApiErrorBody } from './api-types.js';
import type { ErrorDetails } from './exit-codes.js';
import { CliError, ExitCode } from './exit-codes.js';

/** Where the token came from, so a 401 can say which one to fix. */
export type TokenSource = 'env' | 'store';

const SEPARATION_HINTS: Readonly<Record<string, string>> = {
  self_approval: 'a different eligible approver must approve it',
  approver_is_recipient: 'the recipient cannot approve; ask another approver',
  approver_linked:
    'you are linked to the requester or recipient (alias or ownership); ask another approver',
  recipient_is_approver: 'you approved this request, so you cannot receive its credential',
};

function statusExitCode(status: number): ExitCode {
  if (status === 400 || status === 413) return ExitCode.usage;
  if (status === 401) return ExitCode.unauthenticated;
  if (status === 403) return ExitCode.refused;
  if (status === 404) return ExitCode.notFound;
  if (status === 409) return ExitCode.conflict;
  if (status === 429 || status === 503) return ExitCode.unavailable;
  return ExitCode.error;
}

function hintFor(
  status: number,
  body: ApiErrorBody,
  tokenSource: TokenSource | undefined,
  retryAfter: string | null,
): string | undefined {
  if (status === 401) {
    return tokenSource === 'env'
      ? 'COUNTERSIGN_TOKEN is expired or not from an issuer this broker trusts: set a fresh one'
      : 'your stored token is expired or not trusted by this broker: run `countersign login`';
  }
  if (body.error === 'separation_of_duties' && body.reason) return SEPARATION_HINTS[body.reason];
  if (status === 404) {
    return 'check the id (`countersign ls`, `countersign grants`); the broker answers 404 for anything you may not see';
  }
  if (body.error === 'signature_required') {
    return "this role's approvals are signed with your passkey: open the link above in a browser";
  }
  if (body.error === 'already_issued') {
    return 'a credential is minted once; `countersign show <id>` shows its grant';
  }
  if (status === 429) return `rate limited: retry${retryAfter ? ` in ${retryAfter}s` : ' later'}`;
  if (status === 503) return 'the broker is not ready: retry later';
  return undefined;
}

/**
 * The broker's message, with the failing fields it does not already say: its `invalid_request`
 * message is the fields themselves (`role: no such role`), which must not be printed twice.
 */
function describe(body: ApiErrorBody): string {
  const fields = body.fields?.map((field) => `${field.field}: ${field.message}`) ?? [];
  const unsaid = fields.filter((field) => !body.message.includes(field));
  return unsaid.length > 0 ? `${body.message} (${unsaid.join('; ')})` : body.message;
}

/** Turns a broker error answer into the CLI error to report (pure: unit-tested). */
export function brokerError(
  status: number,
  body: unknown,
  tokenSource?: TokenSource,
  retryAfter: string | null = null,
): CliError {
  const parsed = isErrorBody(body)
    ? body
    : { error: status >= 500 ? 'internal_error' : 'unexpected_answer', message: `HTTP ${status}` };
  const hint = hintFor(status, parsed, tokenSource, retryAfter);
  const details: ErrorDetails = {
    code: parsed.error,
    ...(parsed.reason ? { reason: parsed.reason } : {}),
    ...(parsed.fields ? { fields: parsed.fields } : {}),
    ...(hint ? { hint } : {}),
  };
  // Failing fields say it all; their reason (`invalid_input`) stays in --json.
  const reason = parsed.reason && !parsed.fields ? ` [${parsed.reason}]` : '';
  return new CliError(statusExitCode(status), `${describe(parsed)}${reason}`, details);
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  if (typeof body !== 'object' || body === null) return false;
  const { error, message } = body as Record<string, unknown>;
  return typeof error === 'string' && typeof message === 'string';
}

/** Why a fetch failed, in a few words (`ECONNREFUSED`, `no answer in time`). */
export function networkFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const timedOut = error instanceof Error && error.name === 'TimeoutError';
  return timedOut ? 'no answer in time' : (cause?.code ?? cause?.message ?? 'network error');
}

/** A network failure: say which URL was tried and why, never the request's headers. */
export function unreachable(url: string, error: unknown): CliError {
  const why = networkFailure(error);
  return new CliError(ExitCode.unavailable, `cannot reach the broker at ${url} (${why})`, {
    code: 'unreachable',
    hint: 'is it running? point the CLI at it with --url or COUNTERSIGN_URL',
  });
}
