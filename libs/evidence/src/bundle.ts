import type { AuditEvent } from '#audit-log';
import type { LinkKind, SeparationMode } from '#domain';
import { canonicalJson, digestOf } from './canonical.js';
import type { RequestFacts } from './request-facts.js';

export const EVIDENCE_FORMAT = 'countersign-evidence/v1';
/** The JWS `typ` of the seal over a whole bundle. */
export const EVIDENCE_TYP = 'countersign-evidence+jws';

export interface EvidenceApproval {
  approver: string;
  at: string;
  comment: string | null;
  /** The broker's signed receipt (compact JWS) for this approval. */
  receipt: string | null;
  /** The approver's own passkey signature over the request's terms; absent: broker-attested only. */
  signature?: EvidencePasskeySignature;
}

/**
 * A WebAuthn assertion by the approver's passkey over the approval statement
 * (approval-statement.ts), with what a verifier needs to check it without the broker: the
 * credential's public key and the audit event that registered it. Binary fields are base64url.
 */
export interface EvidencePasskeySignature {
  kind: 'passkey';
  /** The nonce the broker issued for this approval, part of the signed statement. */
  nonce: string;
  rpId: string;
  origin: string;
  credentialId: string;
  /** The credential's COSE public key, as its registration recorded it. */
  publicKey: string;
  authenticatorData: string;
  clientDataJSON: string;
  signature: string;
  /** The `passkey.registered` event of this credential, with its chain position. */
  registration: AuditEvent;
  /**
   * RFC 9162 inclusion of the registration (leaf seq - 1) under `log.checkpoint`, base64 hashes;
   * present exactly when the bundle has a log proof.
   */
  registrationInclusion?: string[];
}

/** One extension of a grant, as its `grant.extended` event recorded it. */
export interface EvidenceExtension {
  requestId: string;
  approvers: string[];
  previousExpiresAt: string;
  expiresAt: string;
}

/** Two parties of a request that the broker's identity graph joins into one person (a pair, sorted). */
export interface EvidenceLink {
  between: [string, string];
  kind: LinkKind;
}

/**
 * Who is linked to whom among a request's parties (requester, recipient, acting agent, approvers)
 * as the broker knew it when the bundle was made, so that a verifier counts people offline.
 */
export interface EvidenceSeparation {
  mode: SeparationMode;
  /** Every linked pair of parties, sorted by the pair; each pair's ids sorted. */
  links: EvidenceLink[];
  /** Service-account party (`local:<name>`) -> whoever received its current key. */
  keyHolders: Record<string, string>;
}

/** At most the requester, the recipient, the acting agent and ten approvers. */
export const MAX_PARTIES = 13;

/**
 * Everything needed to show, without the broker's database, who asked, who approved what under
 * which policy, what was issued and when it ended.
 */
export interface EvidenceBundle {
  format: typeof EVIDENCE_FORMAT;
  issuer: string;
  generatedAt: string;
  /** The facts each receipt signs, but for the policy hash, which each receipt carries. */
  request: Omit<RequestFacts, 'policyHash'> & {
    status: string;
    /** Issued through break-glass: no approval, a post-hoc review instead (see auditEvents). */
    breakGlass: boolean;
    justification: string | null;
    createdAt: string;
    decidedAt: string | null;
  };
  /**
   * The policy as it stands now (null if the role is gone), and whether every approval was
   * evaluated under this same policy.
   */
  policy: { hash: string; approvedUnderThisPolicy: boolean; definition: unknown } | null;
  approvals: EvidenceApproval[];
  separation: EvidenceSeparation;
  issuance: {
    grantId: string;
    issuedAt: string;
    expiresAt: string;
    kid: string;
    recipient: string;
    approvers: string[];
    /**
     * The redeemed extensions that moved this grant's end, oldest first, each proved in full by
     * its own request's bundle; on an extension's bundle, absent (its issuance is the extension).
     */
    extensions?: EvidenceExtension[];
  } | null;
  revocation: { status: string; endedAt: string; reason: string | null } | null;
  /** This request's audit events, each with its chain position (`seq`, `prevHash`, `hash`). */
  auditEvents: AuditEvent[];
  /** The chain's head when the bundle was made: every event above is at or below it. */
  chainHead: { seq: number; hash: string };
  /** That the audit events are in the transparency log; absent from bundles made before it. */
  log?: EvidenceLogProof;
}

/**
 * Each audit event of the bundle proved a leaf of the log's Merkle tree under a checkpoint the
 * log key signed, so that a verifier holding that key needs neither the broker nor its database.
 */
export interface EvidenceLogProof {
  /** The log's C2SP note verifier key, as GET /.well-known/countersign-log-key serves it. */
  key: string;
  /** A checkpoint signed by that key, as large as the chain head at least. */
  checkpoint: string;
  /** One per audit event, in the same order: RFC 9162 inclusion of leaf seq - 1, base64 hashes. */
  inclusion: Array<{ seq: number; proof: string[] }>;
}

/** The seal's payload: the bundle's digest, so the seal covers every field of it. */
export interface SealClaims {
  iss: string;
  format: typeof EVIDENCE_FORMAT;
  bundleDigest: string;
}

/** The document served and verified: canonical JSON, so any changed byte is detected. */
export interface EvidenceDocument {
  bundle: EvidenceBundle;
  seal: string;
}

/** The distinct parties of a request, sorted: whom `separation` speaks about. */
export function partiesOf(
  request: Pick<EvidenceBundle['request'], 'requester' | 'recipient' | 'act'>,
  approvers: readonly string[],
): string[] {
  const ids = [request.requester, request.recipient, request.act, ...approvers];
  return [...new Set(ids.filter((id): id is string => id !== null))].sort();
}

export type BytesSigner = (typ: string, payload: Uint8Array) => Promise<string>;

export async function sealBundle(bundle: EvidenceBundle, sign: BytesSigner): Promise<string> {
  const claims: SealClaims = {
    iss: bundle.issuer,
    format: EVIDENCE_FORMAT,
    bundleDigest: digestOf(bundle),
  };
  const seal = await sign(EVIDENCE_TYP, new TextEncoder().encode(canonicalJson(claims)));
  const document: EvidenceDocument = { bundle, seal };
  return canonicalJson(document);
}
