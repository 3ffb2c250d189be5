import { createHash, randomBytes } from 'node:crypto';
import type { AuthenticationResponseJSON, WebAuthnCredential } from '@simplewebauthn/server';
import {
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { SoftAuthenticator } from '../support/soft-authenticator.js';

// The broker's relying party for publicUrl http://localhost:4321 (relyingParty in #domain).
const RP_ID = 'localhost';
const ORIGIN = 'http://localhost:4321';
const AAGUID = 'adce0002-35bc-c60a-648b-0b25f1f05503';

const newChallenge = () => randomBytes(32).toString('base64url');

/** Creation options as PasskeyRegistration.options makes them. */
const creationOptions = () =>
  generateRegistrationOptions({
    rpName: 'countersign',
    rpID: RP_ID,
    userName: 'alice',
    userID: new Uint8Array(createHash('sha256').update('alice').digest()),
    attestationType: 'none',
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
  });

/** Registers `authenticator` as the broker does, returning the credential it would store. */
async function registered(authenticator: SoftAuthenticator): Promise<WebAuthnCredential> {
  const options = await creationOptions();
  const result = await verifyRegistrationResponse({
    response: authenticator.register(options, ORIGIN),
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: true,
  });
  if (!result.verified) throw new Error('registration did not verify');
  return result.registrationInfo.credential;
}

const verifyAssertion = (
  response: AuthenticationResponseJSON,
  expectedChallenge: string,
  credential: WebAuthnCredential,
) =>
  verifyAuthenticationResponse({
    response,
    expectedChallenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: true,
    credential,
  });

describe('SoftAuthenticator, checked by @simplewebauthn/server as the broker uses it', () => {
  it('registers: attestation none, user verified, its credential id, counter 0 and AAGUID', async () => {
    const authenticator = SoftAuthenticator.create({ aaguid: AAGUID });
    const options = await creationOptions();

    const result = await verifyRegistrationResponse({
      response: authenticator.register(options, ORIGIN),
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: true,
    });

    expect(result.verified).toBe(true);
    expect(result.registrationInfo).toMatchObject({
      fmt: 'none',
      aaguid: AAGUID,
      userVerified: true,
      credentialType: 'public-key',
      credential: { id: authenticator.credentialId, counter: 0 },
    });
    expect(Buffer.from(authenticator.credentialId, 'base64url')).toHaveLength(32);
  });

  it('takes the RP id from the origin when the options leave it out, as a browser does', async () => {
    const authenticator = SoftAuthenticator.create();
    const challenge = newChallenge();

    const result = await verifyRegistrationResponse({
      response: authenticator.register({ challenge, rp: {} }, ORIGIN),
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: true,
    });

    expect(result.verified).toBe(true);
  });

  it('registers without the UV flag when created userVerified: false, which the broker refuses', async () => {
    const authenticator = SoftAuthenticator.create({ userVerified: false });
    const options = await creationOptions();

    await expect(
      verifyRegistrationResponse({
        response: authenticator.register(options, ORIGIN),
        expectedChallenge: options.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        requireUserVerification: true,
      }),
    ).rejects.toThrow('User verification was required, but user could not be verified');
  });

  it('asserts with counters 1 then 2, each verified against the stored one', async () => {
    const authenticator = SoftAuthenticator.create();
    const credential = await registered(authenticator);

    const first = newChallenge();
    const one = await verifyAssertion(
      authenticator.assert(first, RP_ID, ORIGIN),
      first,
      credential,
    );
    expect(one).toMatchObject({
      verified: true,
      authenticationInfo: {
        newCounter: 1,
        userVerified: true,
        credentialID: authenticator.credentialId,
      },
    });

    const second = newChallenge();
    const two = await verifyAssertion(authenticator.assert(second, RP_ID, ORIGIN), second, {
      ...credential,
      counter: one.authenticationInfo.newCounter,
    });
    expect(two).toMatchObject({ verified: true, authenticationInfo: { newCounter: 2 } });
    expect(authenticator.signCount).toBe(2);
  });

  it('fails when clientData carries another challenge, or is swapped after signing', async () => {
    const authenticator = SoftAuthenticator.create();
    const credential = await registered(authenticator);
    const expected = newChallenge();

    const otherChallenge = authenticator.assert(expected, RP_ID, ORIGIN, {
      clientData: { challenge: newChallenge() },
    });
    await expect(verifyAssertion(otherChallenge, expected, credential)).rejects.toThrow(
      'Unexpected authentication response challenge',
    );

    // Signed for one challenge, then given clientData naming the expected one: the signature
    // covers sha256(clientDataJSON), so it no longer matches.
    const signed = authenticator.assert(newChallenge(), RP_ID, ORIGIN);
    const swappedClientData = Buffer.from(
      JSON.stringify({
        type: 'webauthn.get',
        challenge: expected,
        origin: ORIGIN,
        crossOrigin: false,
      }),
    ).toString('base64url');
    const swapped = {
      ...signed,
      response: { ...signed.response, clientDataJSON: swappedClientData },
    };
    await expect(verifyAssertion(swapped, expected, credential)).resolves.toMatchObject({
      verified: false,
    });
  });

  it('fails without user verification when it is required', async () => {
    const authenticator = SoftAuthenticator.create();
    const credential = await registered(authenticator);
    const challenge = newChallenge();

    const response = authenticator.assert(challenge, RP_ID, ORIGIN, { userVerified: false });

    await expect(verifyAssertion(response, challenge, credential)).rejects.toThrow(
      'User verification required, but user could not be verified',
    );
  });

  it('fails with a counter lower than the stored one (a cloned or replayed key)', async () => {
    const authenticator = SoftAuthenticator.create();
    let credential = await registered(authenticator);
    for (const expectedCounter of [1, 2]) {
      const challenge = newChallenge();
      const result = await verifyAssertion(
        authenticator.assert(challenge, RP_ID, ORIGIN),
        challenge,
        credential,
      );
      expect(result).toMatchObject({
        verified: true,
        authenticationInfo: { newCounter: expectedCounter },
      });
      credential = { ...credential, counter: result.authenticationInfo.newCounter };
    }
    const challenge = newChallenge();

    const stale = authenticator.assert(challenge, RP_ID, ORIGIN, { signCount: 1 });

    await expect(verifyAssertion(stale, challenge, credential)).rejects.toThrow(
      'Response counter value 1 was lower than expected 2',
    );
    expect(authenticator.signCount).toBe(2);
  });
});
