import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  RegistrationResponseJSON,
  VerifiedRegistrationResponse,
} from '@simplewebauthn/server';
import { generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';
import { AuditLog } from '#audit';
import type { AppConfig } from '#config';
import type { Clock } from '#domain';
import {
  DomainError,
  REGISTRATION_CHALLENGE_MS,
  isFreshSignIn,
  passkeyName,
  relyingParty,
} from '#domain';
import type { Tx } from '#persistence';
import {
  PasskeyRepository,
  PasskeyRow,
  Refusal,
  UnitOfWork,
  WebAuthnChallengeRow,
  isUniqueViolation,
} from '#persistence';
import { PolicyState } from '../policy-state.js';
import { APP_CONFIG, CLOCK } from '../wiring/tokens.js';
import type { PasskeySession } from './passkey-holder.js';
import { refuseNonPerson, refusePasskey, sessionHash, staleSignIn } from './passkey-holder.js';
import type { PasskeyView } from './passkey-view.js';
import { toPasskeyView } from './passkey-view.js';

const RP_NAME = 'countersign';

/**
 * EdDSA, ES256 and RS256 (COSE -8, -7, -257) only. @simplewebauthn/server also offers ML-DSA where
 * the runtime verifies it (Node 24, not 20), and an authenticator that picks it signs approvals
 * that an auditor's verifier on another runtime cannot check: evidence must verify anywhere.
 */
const SUPPORTED_ALGORITHMS = [-8, -7, -257];

const invalidRegistration = (why: string) =>
  new DomainError('invalid_request', `the passkey was not registered: ${why}`, {
    reason: 'registration_invalid',
  });

const registeredAlready = () =>
  new DomainError('invalid_state', 'this passkey is registered already', {
    reason: 'passkey_registered',
  });

/**
 * Registering a passkey (WebAuthn, @simplewebauthn/server): options with a fresh challenge kept
 * server-side for this session, then the authenticator's response verified against it, with user
 * verification required and the relying party of `publicUrl`. Attestation none: which make of
 * authenticator it is matters less here than that its owner's key signs (issue 16 part 2).
 */
@Injectable()
export class PasskeyRegistration {
  private readonly rp: { id: string; origin: string };

  constructor(
    private readonly uow: UnitOfWork,
    private readonly passkeys: PasskeyRepository,
    private readonly audit: AuditLog,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'publicUrl'>,
  ) {
    this.rp = relyingParty(config.publicUrl);
  }

  async options(session: PasskeySession): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const principal = session.principal;
    return this.uow.run(async (tx) => {
      const refusal = await refuseNonPerson(tx, this.audit, this.policy, principal, 'register');
      if (refusal) return refusal;
      const stale = await this.refuseStale(tx, session);
      if (stale) return stale;
      const existing = await this.passkeys.activeOf(tx, principal.id);
      const options = await generateRegistrationOptions({
        rpName: RP_NAME,
        rpID: this.rp.id,
        userName: principal.id,
        // Stable per person, so an authenticator keeps one discoverable credential for them.
        userID: new Uint8Array(createHash('sha256').update(principal.id).digest()),
        timeout: REGISTRATION_CHALLENGE_MS,
        attestationType: 'none',
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
        excludeCredentials: existing.map((row) => ({ id: row.credentialId })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      });
      const now = this.clock.now();
      const challenge = Object.assign(new WebAuthnChallengeRow(), {
        sessionHash: sessionHash(session.id),
        challenge: options.challenge,
        expiresAt: new Date(now.getTime() + REGISTRATION_CHALLENGE_MS),
      });
      await this.passkeys.putChallenge(tx, challenge, now);
      return options;
    });
  }

  /** Verifies the response to this session's challenge (used up either way) and stores the key. */
  async register(
    session: PasskeySession,
    response: RegistrationResponseJSON,
    name: string,
  ): Promise<PasskeyView> {
    const principal = session.principal;
    const validName = passkeyName(name);
    try {
      return await this.uow.run(async (tx) => {
        const notPerson = await refuseNonPerson(tx, this.audit, this.policy, principal, 'register');
        if (notPerson) return notPerson;
        const now = this.clock.now();
        const challenge = await this.passkeys.takeChallenge(tx, sessionHash(session.id), now);
        if (challenge === null) {
          const error = invalidRegistration('no registration under way, or it lapsed: start again');
          return refusePasskey(tx, this.audit, principal, { action: 'register' }, error);
        }
        // After the challenge is used up: a refused response never leaves it for another try.
        const stale = await this.refuseStale(tx, session);
        if (stale) return stale;
        const verified = await this.verify(response, challenge);
        if (!verified.verified) {
          const error = invalidRegistration(verified.why);
          return refusePasskey(tx, this.audit, principal, { action: 'register' }, error);
        }
        const { credential, aaguid } = verified.info;
        if (await this.passkeys.credentialExists(tx, credential.id)) {
          const error = registeredAlready();
          return refusePasskey(tx, this.audit, principal, { action: 'register' }, error);
        }
        const row = Object.assign(new PasskeyRow(), {
          id: randomUUID(),
          principal: principal.id,
          credentialId: credential.id,
          publicKey: Buffer.from(credential.publicKey).toString('base64url'),
          signCount: credential.counter,
          transports: credential.transports ?? [],
          aaguid,
          name: validName,
          createdAt: now,
          lastUsedAt: null,
          revokedAt: null,
          revokedBy: null,
        });
        await this.passkeys.insert(tx, row);
        await this.audit.append(tx, {
          type: 'passkey.registered',
          actor: principal.id,
          // The public key itself: the registration record an evidence bundle carries, so a
          // verifier checks approvals against the key as the log recorded it at registration.
          data: {
            passkeyId: row.id,
            publicKeyId: row.credentialId,
            publicKey: row.publicKey,
            name: row.name,
            aaguid,
          },
        });
        return toPasskeyView(row);
      });
    } catch (error) {
      // The same credential registered twice (by anyone): the unique index decides.
      if (!isUniqueViolation(error)) throw error;
      throw registeredAlready();
    }
  }

  /**
   * A new passkey signs approvals in its owner's name from then on, so it is added only from a
   * sign-in of the last five minutes: a session cookie taken from an idle browser cannot enrol
   * its thief's authenticator.
   */
  private async refuseStale(tx: Tx, session: PasskeySession): Promise<Refusal | undefined> {
    if (isFreshSignIn(session.signedInAt, this.clock.now())) return undefined;
    const error = staleSignIn('registering a passkey');
    return refusePasskey(tx, this.audit, session.principal, { action: 'register' }, error);
  }

  private async verify(
    response: RegistrationResponseJSON,
    expectedChallenge: string,
  ): Promise<
    | {
        verified: true;
        info: Extract<VerifiedRegistrationResponse, { verified: true }>['registrationInfo'];
      }
    | { verified: false; why: string }
  > {
    try {
      const result = await verifyRegistrationResponse({
        response,
        expectedChallenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        requireUserVerification: true,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
      if (!result.verified) return { verified: false, why: 'the response did not verify' };
      return { verified: true, info: result.registrationInfo };
    } catch (error) {
      // The library's messages name what failed (challenge, origin, RP id, flags); no secrets.
      const why =
        error instanceof Error ? error.message.slice(0, 200) : 'the response is malformed';
      return { verified: false, why };
    }
  }
}
