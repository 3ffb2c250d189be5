import type { CredentialSigner } from '#credentials';
import type { RoleDefinition, SeparationMode } from '#domain';
import type { ApprovalTerms, RequestFacts } from '#evidence';
import { RECEIPT_TYP, policyHashOf, receiptPayload, requestDigest } from '#evidence';
import type { AccessRequestRow } from '#persistence';

/** What decided the request, as a receipt signs it: its terms and the policy evaluated. */
export function requestFacts(
  row: AccessRequestRow,
  separation: SeparationMode,
  role: RoleDefinition,
): RequestFacts {
  return { ...requestTerms(row), policyHash: policyHashOf(separation, role) };
}

/** The request's terms, as an evidence bundle shows them (each receipt adds its policy hash). */
export function requestTerms(row: AccessRequestRow): Omit<RequestFacts, 'policyHash'> {
  return {
    id: row.id,
    requester: row.requester,
    recipient: row.recipient,
    act: row.act,
    role: row.role,
    resource: row.resource,
    intent: row.intent,
    durationSeconds: row.durationSeconds,
    approvalsRequired: row.approvalsRequired,
    // Signed only where present, so the digests of all other requests stay what they were.
    ...(row.extendsGrantId ? { extends: row.extendsGrantId } : {}),
  };
}

/** The terms an approver's passkey signs (libs/evidence, approval-statement.ts). */
export function approvalTerms(row: AccessRequestRow): ApprovalTerms {
  return {
    id: row.id,
    role: row.role,
    resource: row.resource,
    intent: row.intent,
    requester: row.requester,
    recipient: row.recipient,
    act: row.act,
    durationSeconds: row.durationSeconds,
    justification: row.justification,
    createdAt: row.createdAt.toISOString(),
    ...(row.extendsGrantId ? { extends: row.extendsGrantId } : {}),
  };
}

/** The broker's signed statement that `approver` approved exactly these facts at `at`. */
export function signApprovalReceipt(
  signer: CredentialSigner,
  issuer: string,
  facts: RequestFacts,
  approver: string,
  at: Date,
): Promise<string> {
  const payload = receiptPayload({
    iss: issuer,
    requestId: facts.id,
    requestDigest: requestDigest(facts),
    policyHash: facts.policyHash,
    approver,
    approvedAt: at.toISOString(),
  });
  return signer.signBytes(RECEIPT_TYP, payload);
}
