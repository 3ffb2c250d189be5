import { base64url } from 'jose';
import { canonicalJson } from './canonical.js';

/** The JWS `typ` of approval receipts: never a credential, whoever verifies it. */
export const RECEIPT_TYP = 'countersign-receipt+jws';

/** What a receipt states: this approver approved the request with this digest, at this time. */
export interface ReceiptClaims {
  iss: string;
  requestId: string;
  requestDigest: string;
  /** The policy the approval was evaluated under; also inside the digest. */
  policyHash: string;
  approver: string;
  approvedAt: string;
}

export function receiptPayload(claims: ReceiptClaims): Uint8Array {
  return new TextEncoder().encode(canonicalJson(claims));
}

/** A receipt's claims, unverified: for the broker's own bookkeeping, never for a decision. */
export function readReceipt(jws: string): ReceiptClaims {
  const [, payload] = jws.split('.');
  return JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as ReceiptClaims;
}
