/**
 * Exit codes scripts can rely on (docs/cli.md). Broker refusals map by HTTP status; the outcomes
 * of `request --wait` have codes of their own so a script can tell "denied" from "expired".
 */
export const ExitCode = {
  ok: 0,
  /** Anything unexpected: a broker 5xx, an answer that is not countersign's, a bug. */
  error: 1,
  /** Bad command line or input the broker rejected as invalid (400, 413). */
  usage: 2,
  /** No token, or the broker refused it (401). */
  unauthenticated: 3,
  /** Not allowed: forbidden, not_eligible, separation_of_duties (403). */
  refused: 4,
  notFound: 5,
  /** The request or grant is not in a state that allows this: invalid_state, already_issued (409). */
  conflict: 6,
  /** The broker could not be reached, is unavailable (503) or rate-limits (429): retry later. */
  unavailable: 7,
  /** `request --wait`: the request was denied. */
  denied: 10,
  /** `request --wait`: the request expired before enough approvals. */
  expired: 11,
  /** `request --wait`: the request was cancelled. */
  cancelled: 12,
  /** `request --wait --timeout`: still pending when the timeout ran out. */
  stillPending: 13,
  /** `audit verify`: the hash chain does not verify. */
  auditBroken: 14,
  /** `evidence verify`: the evidence bundle fails a check (altered, or not sealed by these keys). */
  evidenceInvalid: 15,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
  /** The broker's error code (`not_found`, `separation_of_duties`, …) or the CLI's own. */
  code?: string;
  reason?: string;
  fields?: { field: string; message: string }[];
  /** What to do about it. */
  hint?: string;
}

/** An error the CLI reports and exits with; its message never contains a token. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string, hint?: string): CliError {
  return new CliError(ExitCode.usage, message, { code: 'usage', ...(hint ? { hint } : {}) });
}
