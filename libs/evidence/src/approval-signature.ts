import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { base64url } from 'jose';
import { hashEvent } from '#audit-log';
import type { ApprovalTerms } from './approval-statement.js';
import { approvalChallenge, approvalStatement } from './approval-statement.js';
import type { EvidenceApproval, EvidenceBundle, EvidencePasskeySignature } from './bundle.js';
import { includedIn, openBundleCheckpoint } from './log-proof.js';

/**
 * Who vouches for an approval: the approver's own passkey (its signature over the request's
 * terms checks out), only the broker (its receipt; no signature), or a signature that fails.
 */
export type ApprovalAttestation = 'passkey-signed' | 'broker-attested' | 'signature-invalid';

/** The terms an approver's passkey signed, as the bundle's request shows them. */
export function termsFromBundle(request: EvidenceBundle['request']): ApprovalTerms {
  return {
    id: request.id,
    role: request.role,
    resource: request.resource,
    intent: request.intent,
    requester: request.requester,
    recipient: request.recipient,
    act: request.act,
    durationSeconds: request.durationSeconds,
    justification: request.justification,
    createdAt: request.createdAt,
    ...(request.extends === undefined ? {} : { extends: request.extends }),
  };
}

/**
 * Why an approval's passkey signature does not stand, or undefined when it does: the assertion
 * must verify (WebAuthn, by @simplewebauthn/server) over the statement "`approver` approves
 * exactly the bundle's request terms, under this nonce", with user verification, for the origin
 * and the RP id it names (the origin's host); the key must be the one a logged
 * `passkey.registered` event of the approver recorded for that credential, before the approval,
 * and in the log under the bundle's checkpoint when the bundle has a log proof.
 */
export async function signatureProblem(
  bundle: EvidenceBundle,
  approval: EvidenceApproval,
  signature: EvidencePasskeySignature,
  logKey?: string,
): Promise<string | undefined> {
  return (
    registrationProblem(bundle, approval, signature, logKey) ??
    (await assertionProblem(bundle, approval, signature))
  );
}

function registrationProblem(
  bundle: EvidenceBundle,
  approval: EvidenceApproval,
  signature: EvidencePasskeySignature,
  logKey?: string,
): string | undefined {
  const { registration } = signature;
  const data = registration.data;
  if (registration.type !== 'passkey.registered') return 'the registration record is not one';
  if (registration.actor !== approval.approver) {
    return "the passkey's registration names another owner";
  }
  if (data.publicKeyId !== signature.credentialId || data.publicKey !== signature.publicKey) {
    return 'the registration record is of another credential or key';
  }
  const { hash, ...unhashed } = registration;
  if (hashEvent(unhashed) !== hash) return 'the registration record does not hash to its hash';
  const recorded = bundle.auditEvents.find(
    (event) => event.type === 'approval.recorded' && event.actor === approval.approver,
  );
  if (!recorded) return 'no approval.recorded event of the approver to order the registration by';
  if (registration.seq >= recorded.seq) return 'the passkey was registered after the approval';
  if (recorded.data.publicKeyId !== signature.credentialId) {
    return 'the approval.recorded event names another passkey';
  }
  return inclusionProblem(bundle, signature, logKey);
}

/** The registration's inclusion under the bundle's checkpoint, exactly when it has a log proof. */
function inclusionProblem(
  bundle: EvidenceBundle,
  signature: EvidencePasskeySignature,
  logKey?: string,
): string | undefined {
  const proof = signature.registrationInclusion;
  if (!bundle.log) {
    return proof === undefined ? undefined : 'an inclusion proof without a log proof';
  }
  if (proof === undefined) return 'no inclusion proof of the registration';
  const opened = openBundleCheckpoint(bundle.log, logKey);
  if ('problem' in opened) return `the log checkpoint does not open: ${opened.problem}`;
  return includedIn(opened.tree, signature.registration, proof)
    ? undefined
    : 'the registration is not in the log under its signed checkpoint';
}

async function assertionProblem(
  bundle: EvidenceBundle,
  approval: EvidenceApproval,
  signature: EvidencePasskeySignature,
): Promise<string | undefined> {
  if (!isOriginOf(signature.rpId, signature.origin)) return "the RP id is not the origin's host";
  const statement = approvalStatement(
    termsFromBundle(bundle.request),
    approval.approver,
    signature.nonce,
  );
  const expectedChallenge = approvalChallenge(statement);
  // Named apart from the library's other failures: the one a changed term leads to.
  const signed = signedChallenge(signature);
  if (signed !== undefined && signed !== expectedChallenge) {
    return 'the passkey signed other terms than these (the challenge is not their statement)';
  }
  const response: AuthenticationResponseJSON = {
    id: signature.credentialId,
    rawId: signature.credentialId,
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      authenticatorData: signature.authenticatorData,
      clientDataJSON: signature.clientDataJSON,
      signature: signature.signature,
    },
  };
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: signature.origin,
      expectedRPID: signature.rpId,
      credential: {
        id: signature.credentialId,
        publicKey: new Uint8Array(base64url.decode(signature.publicKey)),
        // Offline there is no counter to compare with: replays are the broker's to refuse.
        counter: 0,
      },
      requireUserVerification: true,
    });
    return result.verified ? undefined : 'the signature does not verify';
  } catch (error) {
    return error instanceof Error ? error.message.slice(0, 200) : 'the assertion is malformed';
  }
}

function isOriginOf(rpId: string, origin: string): boolean {
  try {
    return new URL(origin).hostname === rpId;
  } catch {
    return false;
  }
}

/** The challenge the client data says was signed; undefined when it is not readable JSON. */
function signedChallenge(signature: EvidencePasskeySignature): string | undefined {
  try {
    const clientData: unknown = JSON.parse(
      new TextDecoder().decode(base64url.decode(signature.clientDataJSON)),
    );
    const challenge = (clientData as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' ? challenge : undefined;
  } catch {
    return undefined;
  }
}
