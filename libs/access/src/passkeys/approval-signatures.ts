import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import {
  generateAuthenticationOptions,
  verifyAuthenticationResponse,
} from '@simplewebauthn/server';
import { base64url } from 'jose';
import { AuditLog } from '#audit';
import type { AppConfig } from '#config';
import type { Clock, Principal } from '#domain';
import { DomainError, SIGNING_CHALLENGE_MS, relyingParty } from '#domain';
import { approvalChallenge, approvalStatement } from '#evidence';
import type { AccessRequestRow, PasskeyApprovalSignature, Tx } from '#persistence';
import { PasskeyRepository, Refusal, UnitOfWork, WebAuthnChallengeRow } from '#persistence';
import { approvalTerms } from '../approval-receipts.js';
import { refuse } from '../audit-helpers.js';
import { RequestLoader } from '../request-loader.js';
import { APP_CONFIG, CLOCK } from '../wiring/tokens.js';

/** The signed assertion an approver's browser posts with Approve. */
export interface SignedApproval {
  /** The web session that asked for the options: the nonce was issued to it, for this request. */
  sessionId: string;
  response: AuthenticationResponseJSON;
}

/**
 * Where a session's nonce for approving one request is kept: the challenges table is keyed by a
 * hash, and a registration's key (the session's own hash) never equals one of these.
 */
const nonceKey = (sessionId: string, requestId: string): string =>
  createHash('sha256').update(`approve\n${requestId}\n${sessionId}`).digest('hex');

/**
 * Passkey-signed approvals (docs/identity.md, "Signed approvals"). The challenge an approver's
 * authenticator signs is the digest of an approval statement: this approver, these request terms
 * and a nonce issued for this one approval. The broker keeps the nonce, never the browser, and
 * rebuilds the statement from the request row when the assertion comes back.
 */
@Injectable()
export class ApprovalSignatures {
  private readonly rp: { id: string; origin: string };

  constructor(
    private readonly uow: UnitOfWork,
    private readonly passkeys: PasskeyRepository,
    private readonly loader: RequestLoader,
    private readonly audit: AuditLog,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'publicUrl'>,
  ) {
    this.rp = relyingParty(config.publicUrl);
  }

  /** The options for navigator.credentials.get, with a fresh nonce kept for this session. */
  async options(
    session: { id: string; principal: Principal },
    requestId: string,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const approver = session.principal;
    return this.uow.run(async (tx) => {
      const row = await this.loader.forAction(tx, approver, requestId, 'approval.refused');
      if (row instanceof Refusal) return row;
      const keys = await this.passkeys.activeOf(tx, approver.id);
      if (keys.length === 0) {
        const event = { actor: approver.id, requestId: row.id, data: { action: 'approve' } };
        return refuse(tx, this.audit, 'approval.refused', event, this.noPasskey());
      }
      const nonce = base64url.encode(randomBytes(32));
      const statement = approvalStatement(approvalTerms(row), approver.id, nonce);
      const options = await generateAuthenticationOptions({
        rpID: this.rp.id,
        challenge: new Uint8Array(base64url.decode(approvalChallenge(statement))),
        allowCredentials: keys.map((key) => ({
          id: key.credentialId,
          transports: key.transports as AuthenticatorTransport[],
        })),
        userVerification: 'required',
        timeout: SIGNING_CHALLENGE_MS,
      });
      const now = this.clock.now();
      const challenge = Object.assign(new WebAuthnChallengeRow(), {
        sessionHash: nonceKey(session.id, row.id),
        challenge: nonce,
        expiresAt: new Date(now.getTime() + SIGNING_CHALLENGE_MS),
      });
      await this.passkeys.putChallenge(tx, challenge, now);
      return options;
    });
  }

  /**
   * Checks an assertion inside the approval's transaction (the request row is locked): the nonce
   * this session was given for this request (used up either way), one of the approver's own
   * passkeys in use, its signature over exactly this statement, user verification, origin, RP
   * id and a counter that moved on. The passkey's counter and last use are updated. A refusal
   * comes back as the error to audit, never thrown from here.
   */
  async verify(
    tx: Tx,
    approver: Principal,
    row: AccessRequestRow,
    signed: SignedApproval,
  ): Promise<PasskeyApprovalSignature | DomainError> {
    const now = this.clock.now();
    const nonce = await this.passkeys.takeChallenge(tx, nonceKey(signed.sessionId, row.id), now);
    if (nonce === null) {
      return invalidSignature('no signing under way for this request, or it lapsed: approve again');
    }
    const passkey = await this.passkeys.findActiveCredential(tx, approver.id, signed.response.id);
    if (!passkey) return invalidSignature('the passkey is not one of yours in use');
    const statement = approvalStatement(approvalTerms(row), approver.id, nonce);
    let newCounter: number;
    try {
      const result = await verifyAuthenticationResponse({
        response: signed.response,
        expectedChallenge: approvalChallenge(statement),
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(base64url.decode(passkey.publicKey)),
          counter: passkey.signCount,
        },
        requireUserVerification: true,
      });
      if (!result.verified) return invalidSignature('the signature does not verify');
      newCounter = result.authenticationInfo.newCounter;
    } catch (error) {
      // The library's messages name what failed (challenge, origin, RP id, counter); no secrets.
      const why =
        error instanceof Error ? error.message.slice(0, 200) : 'the response is malformed';
      return invalidSignature(why);
    }
    await this.passkeys.recordUse(tx, passkey.id, newCounter, now);
    const { response } = signed.response;
    return {
      kind: 'passkey',
      passkeyId: passkey.id,
      credentialId: passkey.credentialId,
      nonce,
      rpId: this.rp.id,
      origin: this.rp.origin,
      authenticatorData: response.authenticatorData,
      clientDataJSON: response.clientDataJSON,
      signature: response.signature,
    };
  }

  /** `403 signature_required`: the role's approvals are signed, which only the web page can do. */
  signatureRequired(requestId: string): DomainError {
    const page = new URL(`/requests/${requestId}`, this.config.publicUrl).href;
    return new DomainError(
      'signature_required',
      `approving this request needs your passkey's signature: approve it on the web page, ${page}`,
      { reason: 'signature_required' },
    );
  }

  private noPasskey(): DomainError {
    const page = new URL('/me/passkeys', this.config.publicUrl).href;
    return new DomainError(
      'signature_required',
      `approving this request needs a passkey, and you have none: register one at ${page}`,
      { reason: 'no_passkey' },
    );
  }
}

const invalidSignature = (why: string) =>
  new DomainError('forbidden', `the approval was not recorded: ${why}`, {
    reason: 'signature_invalid',
  });
