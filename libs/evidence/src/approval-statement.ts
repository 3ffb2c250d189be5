import { createHash } from 'node:crypto';
import { base64url } from 'jose';
import { canonicalJson } from './canonical.js';
import type { IntentFacts } from './request-facts.js';

export const APPROVAL_STATEMENT_FORMAT = 'countersign-approval/v1';

/**
 * A request's terms as an approver's passkey signs them: everything that decides what access
 * results and why it was asked for. Built from the request row by the broker and from the
 * bundle's `request` by a verifier, so both must name exactly these fields.
 */
export interface ApprovalTerms {
  id: string;
  role: string;
  resource: string;
  intent: IntentFacts | null;
  requester: string;
  recipient: string;
  /** The agent that asked on the recipient's behalf, if one did. */
  act: string | null;
  durationSeconds: number;
  justification: string | null;
  /** ISO 8601, as the evidence bundle shows it. */
  createdAt: string;
  /** The grant an extension asks more time for; absent on any other request. */
  extends?: string;
}

/**
 * What the approver's authenticator signs, by way of its digest as the WebAuthn challenge: "I,
 * `approver`, approve exactly these terms", with a nonce the broker issued for this one approval
 * so that no assertion can be replayed for another, even of the same terms.
 */
export interface ApprovalStatement {
  format: typeof APPROVAL_STATEMENT_FORMAT;
  decision: 'approve';
  approver: string;
  nonce: string;
  request: ApprovalTerms;
}

export function approvalStatement(
  terms: ApprovalTerms,
  approver: string,
  nonce: string,
): ApprovalStatement {
  return {
    format: APPROVAL_STATEMENT_FORMAT,
    decision: 'approve',
    approver,
    nonce,
    request: terms,
  };
}

/** The WebAuthn challenge of a statement: base64url of SHA-256 of its RFC 8785 JSON. */
export function approvalChallenge(statement: ApprovalStatement): string {
  return base64url.encode(createHash('sha256').update(canonicalJson(statement)).digest());
}
