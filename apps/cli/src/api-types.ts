/** The broker's HTTP API shapes (docs/api.md §4), as the CLI reads them. */

export interface Approval {
  approver: string;
  at: string;
  comment?: string;
}

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'cancelled' | 'expired' | 'issued';

export interface AccessRequest {
  id: string;
  role: string;
  resource?: string;
  requester: string;
  recipient: string;
  justification?: string;
  duration: number;
  status: RequestStatus;
  createdAt: string;
  approvals: Approval[];
  approvalsRequired: number;
  decidedAt?: string;
  grantId?: string;
  /** The grant an extension asks more time for. */
  extends?: string;
  /** Issued through break-glass without an approval; `review` says where its review stands. */
  breakGlass?: true;
  review?: BreakGlassReview;
}

/** docs/break-glass.md: when the review is due, and who gave it. */
export interface BreakGlassReview {
  dueAt: string;
  escalations: number;
  reviewedBy?: string;
  reviewedAt?: string;
  comment?: string;
}

export interface Grant {
  id: string;
  requestId: string;
  role: string;
  recipient: string;
  issuedAt: string;
  expiresAt: string;
  status: 'active' | 'revoked' | 'expired';
  endedAt?: string;
  revokedReason?: string;
  overdue?: true;
  revocationFailures?: number;
  breakGlass?: true;
}

/** `type` picks the provider's shape: `jwt` has `token`; `postgres` has connection details. */
export type Credential = { type: string } & Record<string, unknown>;

export interface Minted {
  grantId: string;
  expiresAt: string;
  /** Absent only for an extension whose target keeps the login held (postgres). */
  credential?: Credential;
  /** Present when the request extended a grant: the end it replaced. */
  extended?: { from: string };
}

/** `POST /v1/break-glass`: the credential at once, and when its review is due. */
export interface BreakGlassActivation {
  requestId: string;
  grantId: string;
  expiresAt: string;
  credential: Credential;
  breakGlass: { reviewDueAt: string };
}

/** A service account as the API shows it (docs/identity.md): never its key. */
export interface ServiceAccount {
  name: string;
  principal: string;
  owner: string;
  description?: string;
  groups: string[];
  status: 'active' | 'disabled';
  keyPrefix: string;
  keyCreatedAt: string;
  keyExpiresAt?: string;
  createdAt: string;
  createdBy: string;
  keyHolder?: string;
  disabledAt?: string;
  lastUsedAt?: string;
}

/** The one answer that carries an API key: create and rotate. */
export type ServiceAccountWithKey = ServiceAccount & { key: string };

export interface AuditEvent {
  seq: number;
  id: string;
  at: string;
  type: string;
  actor: string;
  requestId?: string;
  grantId?: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface ChainVerification {
  ok: boolean;
  events: number;
  head: string;
  brokenAt?: number;
  /** Why it is broken: `altered`, `missing`, `truncated`, `head_mismatch`, `head_missing`. */
  reason?: string;
}

/** `GET /v1/roles` (docs/api-extensions.md), durations in seconds. */
export interface Role {
  name: string;
  resource: string;
  actions: string[];
  maxDuration: number;
  defaultDuration: number;
  approvalsRequired: number;
  requireJustification: boolean;
  provider: string;
  /** False only on roles an admin sees but may not request. */
  requestable: boolean;
  breakGlass?: { maxDuration: number; reviewWithin: number };
}

/** `POST /v1/keys/rotate`. */
export interface KeyRotation {
  kid: string;
  retired: string[];
  /** Seconds the retired keys stay in JWKS. */
  publishedFor: number;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface ApiErrorBody {
  error: string;
  message: string;
  reason?: string;
  fields?: { field: string; message: string }[];
}
