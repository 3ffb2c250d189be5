import type { JSONWebKeySet } from 'jose';
import { base64url, compactVerify, createLocalJWKSet } from 'jose';
import { hashEvent } from '#audit-log';
import type { ApprovalAttestation } from './approval-signature.js';
import { signatureProblem } from './approval-signature.js';
import type { EvidenceBundle, EvidenceDocument, SealClaims } from './bundle.js';
import { EVIDENCE_FORMAT, EVIDENCE_TYP } from './bundle.js';
import { canonicalJson, digestOf } from './canonical.js';
import { evidenceDocumentSchema } from './document-schema.js';
import { checkLogProof } from './log-proof.js';
import type { ReceiptClaims } from './receipt.js';
import { RECEIPT_TYP } from './receipt.js';
import type { RequestFacts } from './request-facts.js';
import { requestDigest } from './request-facts.js';
import {
  approverSeparationProblem,
  linkLookup,
  separationFactsProblems,
} from './separation-facts.js';

export interface EvidenceCheck {
  check: string;
  ok: boolean;
  detail?: string;
}

/** Who vouches for one approval of the bundle (approval-signature.ts). */
export interface ApprovalAttestationReport {
  approver: string;
  attestation: ApprovalAttestation;
}

export interface EvidenceReport {
  ok: boolean;
  checks: EvidenceCheck[];
  /** Per approval, in the bundle's order; absent when the document is not a bundle. */
  approvals?: ApprovalAttestationReport[];
}

const ALGORITHMS = ['EdDSA', 'ES256'];

/**
 * Checks an evidence document offline, against the broker's published keys only: the document is
 * canonical and sealed, every approval has a receipt for exactly this request, no approver is the
 * requester or the recipient, approvals are counted per person (under strict separation, linked
 * identities count once: `bundle.separation`), the issuance names the receipts' approvers, every
 * audit event hashes to what it claims and is in the log under a checkpoint the log key signed
 * (`bundle.log`; the key from `options.logKey` when given), and each approval's passkey signature,
 * if it has one, is the approver's own over exactly the bundle's terms (approval-signature.ts).
 * Any changed byte fails a check.
 */
export interface VerifyOptions {
  /** The audit log's verifier key, obtained apart from the broker, to check `bundle.log` with. */
  logKey?: string;
}

export async function verifyEvidence(
  text: string,
  jwks: JSONWebKeySet,
  options: VerifyOptions = {},
): Promise<EvidenceReport> {
  const checks: EvidenceCheck[] = [];
  const report = (): EvidenceReport => ({ ok: checks.every((c) => c.ok), checks });
  let document: EvidenceDocument;
  try {
    document = JSON.parse(text) as EvidenceDocument;
    checks.push(check('canonical', canonicalJson(document) === text, 'not in RFC 8785 form'));
  } catch {
    checks.push({ check: 'canonical', ok: false, detail: 'not JSON' });
    return report();
  }
  const shape = evidenceDocumentSchema.safeParse(document);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    checks.push({ check: 'shape', ok: false, detail: `${issue.path.join('.')}: ${issue.message}` });
    return report();
  }
  const { bundle } = document;
  const keys = createLocalJWKSet(jwks);
  const seal = await verifyJws<SealClaims>(document.seal, keys, EVIDENCE_TYP);
  checks.push(
    check(
      'seal',
      seal.ok &&
        seal.claims.format === EVIDENCE_FORMAT &&
        bundle.format === EVIDENCE_FORMAT &&
        seal.claims.iss === bundle.issuer &&
        seal.claims.bundleDigest === digestOf(bundle),
      seal.ok ? 'the seal does not cover this bundle' : seal.error,
    ),
  );
  checkSeparation(bundle, checks);
  await checkApprovals(bundle, keys, checks);
  const approvals = await checkApprovalSignatures(bundle, checks, options.logKey);
  checkIssuance(bundle, checks);
  checkAuditEvents(bundle, checks);
  checks.push({ check: 'log proof', ...checkLogProof(bundle, options.logKey) });
  return { ...report(), approvals };
}

/**
 * Each passkey signature checked (one check per signed approval), then a summary of who vouches
 * for each approval, which fails when the role requires passkey-signed approvals and one is not.
 * The requirement is read from the bundle's policy only when every approval was evaluated under
 * it: a role that requires signatures now says nothing of approvals made before it did.
 */
async function checkApprovalSignatures(
  bundle: EvidenceBundle,
  checks: EvidenceCheck[],
  logKey: string | undefined,
): Promise<ApprovalAttestationReport[]> {
  const attested: ApprovalAttestationReport[] = [];
  for (const [i, approval] of bundle.approvals.entries()) {
    const { signature } = approval;
    if (!signature) {
      attested.push({ approver: approval.approver, attestation: 'broker-attested' });
      continue;
    }
    const problem = await signatureProblem(bundle, approval, signature, logKey);
    checks.push({
      check: `approval[${i}] ${approval.approver} signature`,
      ok: problem === undefined,
      detail: problem ?? `passkey-signed (credential ${signature.credentialId})`,
    });
    const attestation = problem === undefined ? 'passkey-signed' : 'signature-invalid';
    attested.push({ approver: approval.approver, attestation });
  }
  if (attested.length === 0) return attested;
  const named = (kind: ApprovalAttestation) =>
    attested.filter((a) => a.attestation === kind).map((a) => a.approver);
  const summary = (['passkey-signed', 'broker-attested', 'signature-invalid'] as const)
    .filter((kind) => named(kind).length > 0)
    .map((kind) => `${kind}: ${named(kind).join(', ')}`)
    .join('; ');
  const unsigned = attested.filter((a) => a.attestation !== 'passkey-signed');
  const required = bundle.policy?.approvedUnderThisPolicy === true && requiresSignatures(bundle);
  checks.push({
    check: 'approval signatures',
    ok: !required || unsigned.length === 0,
    detail:
      required && unsigned.length > 0
        ? `the role requires passkey-signed approvals; ${summary}`
        : summary,
  });
  return attested;
}

/** Whether the bundle's policy has the role's approvals signed by passkey. */
function requiresSignatures(bundle: EvidenceBundle): boolean {
  const definition = bundle.policy?.definition as
    { role?: { approvalSignature?: unknown } } | null | undefined;
  return definition?.role?.approvalSignature === 'passkey';
}

async function checkApprovals(
  bundle: EvidenceBundle,
  keys: ReturnType<typeof createLocalJWKSet>,
  checks: EvidenceCheck[],
): Promise<void> {
  const { request } = bundle;
  const linkOf = linkLookup(bundle.separation);
  // One entry per person: an approval that fails any check, or repeats a person, is not counted.
  const people: string[] = [];
  for (const [i, approval] of bundle.approvals.entries()) {
    const name = `approval[${i}] ${approval.approver}`;
    if (!approval.receipt) {
      checks.push({ check: name, ok: false, detail: 'no receipt' });
      continue;
    }
    const receipt = await verifyJws<ReceiptClaims>(approval.receipt, keys, RECEIPT_TYP);
    if (!receipt.ok) {
      checks.push({ check: name, ok: false, detail: receipt.error });
      continue;
    }
    const earlier = bundle.approvals.slice(0, i).map((a) => a.approver);
    const problem =
      receiptProblem(bundle, approval, receipt.claims) ??
      approverSeparationProblem(request, earlier, approval.approver, linkOf);
    if (problem === undefined) people.push(approval.approver);
    checks.push({
      check: name,
      ok: problem === undefined,
      ...(problem ? { detail: problem } : {}),
    });
  }
  if (request.approvalsRequired === 0 && !request.breakGlass) {
    checks.push({
      check: 'approvals required',
      ok: false,
      detail: 'none required, not break-glass',
    });
  } else if (['approved', 'issued'].includes(request.status) || bundle.issuance) {
    checks.push(
      check(
        'approvals required',
        people.length >= request.approvalsRequired,
        `${people.length} of ${request.approvalsRequired} approvals by distinct people`,
      ),
    );
  }
}

function receiptProblem(
  bundle: EvidenceBundle,
  approval: EvidenceBundle['approvals'][number],
  claims: ReceiptClaims,
): string | undefined {
  const { request } = bundle;
  const digest = requestDigest(factsOf(request, claims.policyHash));
  if (claims.iss !== bundle.issuer) return 'receipt from another issuer';
  if (claims.requestId !== request.id || claims.requestDigest !== digest)
    return 'receipt is for a different request or different terms';
  if (claims.approver !== approval.approver || claims.approvedAt !== approval.at)
    return 'receipt names another approver or time';
  return undefined;
}

/** The separation facts, checked against this request; see separation-facts.ts. */
function checkSeparation(bundle: EvidenceBundle, checks: EvidenceCheck[]): void {
  const problems = separationFactsProblems(bundle);
  checks.push({
    check: 'separation',
    ok: problems.length === 0,
    ...(problems.length ? { detail: problems.join('; ') } : {}),
  });
}

function checkIssuance(bundle: EvidenceBundle, checks: EvidenceCheck[]): void {
  const { issuance, request } = bundle;
  if (!issuance) return;
  const approvers = new Set(bundle.approvals.map((a) => a.approver));
  checks.push(
    check(
      'issuance',
      issuance.recipient === request.recipient &&
        issuance.approvers.length === approvers.size &&
        issuance.approvers.every((a) => approvers.has(a)),
      'issued to someone else or under other approvals',
    ),
  );
  if (issuance.extensions?.length) {
    // Each extension starts where the one before ended, and the last is the grant's end now.
    const ends = issuance.extensions;
    const chained = ends.every(
      (ext, i) => i === 0 || ext.previousExpiresAt === ends[i - 1].expiresAt,
    );
    const last = ends[ends.length - 1].expiresAt === issuance.expiresAt;
    checks.push(
      check('extensions', chained && last, "the extensions do not lead to the grant's end"),
    );
  }
}

function checkAuditEvents(bundle: EvidenceBundle, checks: EvidenceCheck[]): void {
  let previousSeq = 0;
  const problems: string[] = [];
  for (const event of bundle.auditEvents) {
    const { hash, ...unhashed } = event;
    if (hashEvent(unhashed) !== hash) problems.push(`event ${event.seq} does not hash to its hash`);
    if (event.seq <= previousSeq) problems.push(`event ${event.seq} out of order`);
    if (event.seq > bundle.chainHead.seq) problems.push(`event ${event.seq} beyond the chain head`);
    if (event.requestId !== bundle.request.id)
      problems.push(`event ${event.seq} is not this request's`);
    previousSeq = event.seq;
  }
  checks.push({
    check: 'audit events',
    ok: problems.length === 0,
    ...(problems.length ? { detail: problems.join('; ') } : {}),
  });
}

function factsOf(request: EvidenceBundle['request'], policyHash: string): RequestFacts {
  return {
    id: request.id,
    requester: request.requester,
    recipient: request.recipient,
    act: request.act,
    role: request.role,
    resource: request.resource,
    intent: request.intent,
    durationSeconds: request.durationSeconds,
    approvalsRequired: request.approvalsRequired,
    ...(request.extends === undefined ? {} : { extends: request.extends }),
    policyHash,
  };
}

type Verified<T> = { ok: true; claims: T } | { ok: false; error: string };

async function verifyJws<T>(
  jws: string,
  keys: ReturnType<typeof createLocalJWKSet>,
  typ: string,
): Promise<Verified<T>> {
  // jose accepts base64url whose unused trailing bits differ; require the one canonical spelling
  // so that a changed character cannot leave a signature valid.
  const parts = jws.split('.');
  if (parts.length !== 3 || parts.some((part) => !isCanonicalBase64url(part))) {
    return { ok: false, error: 'not a canonical compact JWS' };
  }
  try {
    const { payload, protectedHeader } = await compactVerify(jws, keys, { algorithms: ALGORITHMS });
    if (protectedHeader.typ !== typ) return { ok: false, error: `typ is not ${typ}` };
    return { ok: true, claims: JSON.parse(new TextDecoder().decode(payload)) as T };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : 'invalid signature' };
  }
}

function isCanonicalBase64url(part: string): boolean {
  try {
    return base64url.encode(base64url.decode(part)) === part;
  } catch {
    return false;
  }
}

function check(name: string, ok: boolean, detail: string): EvidenceCheck {
  return ok ? { check: name, ok } : { check: name, ok, detail };
}
