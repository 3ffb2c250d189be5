import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import type { PasskeyView, SignedApproval } from '#access';
import { ApprovalSignatures, PasskeyRegistration } from '#access';
import type { AppConfig } from '#config';
import type { Principal } from '#domain';
import { relyingParty } from '#domain';
import { SoftAuthenticator } from './soft-authenticator.js';

/** A web session as the passkey use cases take it: a fresh sign-in of `principal`. */
export interface TestSession {
  id: string;
  principal: Principal;
  signedInAt: Date;
}

export function sessionOf(principal: Principal, signedInAt = new Date()): TestSession {
  return { id: randomUUID(), principal, signedInAt };
}

/**
 * A person's passkey, registered through the broker's own ceremony (options, then the software
 * authenticator's response checked against them), for specs that need no browser.
 */
export async function registerPasskey(
  app: INestApplication,
  config: Pick<AppConfig, 'publicUrl'>,
  session: TestSession,
  name = 'test key',
): Promise<{ authenticator: SoftAuthenticator; passkey: PasskeyView }> {
  const registration = app.get(PasskeyRegistration);
  const authenticator = SoftAuthenticator.create();
  const options = await registration.options(session);
  const response = authenticator.register(options, relyingParty(config.publicUrl).origin);
  const passkey = await registration.register(session, response, name);
  return { authenticator, passkey };
}

/**
 * What the web page posts with Approve: the options fetched for this session and request (a
 * fresh nonce), answered by `authenticator`. `overrides` forge the assertion (see assert()).
 */
export async function signApproval(
  app: INestApplication,
  config: Pick<AppConfig, 'publicUrl'>,
  session: TestSession,
  requestId: string,
  authenticator: SoftAuthenticator,
  overrides?: Parameters<SoftAuthenticator['assert']>[3],
): Promise<SignedApproval> {
  const options = await app.get(ApprovalSignatures).options(session, requestId);
  const rp = relyingParty(config.publicUrl);
  const response = authenticator.assert(options.challenge, rp.id, rp.origin, overrides);
  return { sessionId: session.id, response };
}
