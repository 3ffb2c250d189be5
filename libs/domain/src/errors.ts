/** HTTP error codes (docs/api.md §4); the broker maps each to a status exactly once. */
export type ErrorCode =
  | 'invalid_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_eligible'
  | 'separation_of_duties'
  | 'not_found'
  | 'invalid_state'
  | 'already_issued'
  | 'payload_too_large'
  | 'rate_limited'
  /** The role's approvals are signed with the approver's passkey, on the web page (issue 16). */
  | 'signature_required'
  /** A target system (provider) could not complete the action; retrying may succeed. */
  | 'unavailable';

export interface FieldError {
  field: string;
  message: string;
}

export interface DomainErrorDetails {
  /** A machine-readable reason, e.g. `self_approval` for `separation_of_duties`. */
  reason?: string;
  /** The failing fields of an `invalid_request`. */
  fields?: FieldError[];
}

/** The only error the domain and the use cases throw on purpose. Messages never carry secrets. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalidRequest = (fields: FieldError[]): DomainError =>
  new DomainError('invalid_request', fields.map((f) => `${f.field}: ${f.message}`).join('; '), {
    fields,
  });

export const notFound = (what: string): DomainError =>
  new DomainError('not_found', `${what} not found`);
