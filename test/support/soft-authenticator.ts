import type { KeyObject } from 'node:crypto';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { CBORType } from '@levischuck/tiny-cbor';
import { encodeCBOR } from '@levischuck/tiny-cbor';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

/** Authenticator data flags (WebAuthn §6.1): user present, user verified, attested credential. */
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

/** COSE: key type EC2, algorithm ES256 (ECDSA with SHA-256), curve P-256 (RFC 9053). */
const COSE_KTY_EC2 = 2;
const COSE_ALG_ES256 = -7;
const COSE_CRV_P256 = 1;

/** No make of authenticator claimed, as a passkey manager that does not attest says. */
const NO_AAGUID = '00000000-0000-0000-0000-000000000000';

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const sha256 = (data: string | Uint8Array): Buffer => createHash('sha256').update(data).digest();

const uint16 = (value: number): Buffer => {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
};

const uint32 = (value: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
};

const aaguidBytes = (aaguid: string): Buffer => {
  const hex = aaguid.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not an AAGUID (a UUID): ${aaguid}`);
  return Buffer.from(hex, 'hex');
};

/** rpIdHash | flags | signCount: the part every authenticator data starts with. */
const authenticatorData = (rpId: string, flags: number, signCount: number): Buffer =>
  Buffer.concat([sha256(rpId), Buffer.of(flags), uint32(signCount)]);

/**
 * A software WebAuthn authenticator for tests: what a browser and a passkey would send the broker,
 * made here so tests need no browser. One ES256 credential per instance; registration answers
 * with attestation 'none' (what the broker asks for) and assertions sign as WebAuthn says:
 * ECDSA P-256 over authenticatorData || sha256(clientDataJSON), DER-encoded.
 */
export class SoftAuthenticator {
  /** base64url of 32 random bytes. */
  readonly credentialId: string;
  /** The counter the last assertion carried; each assertion increments it first (the first carries 1). */
  signCount = 0;

  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    private readonly userVerified: boolean,
    private readonly aaguid: Buffer,
  ) {
    this.credentialId = b64url(randomBytes(32));
  }

  /**
   * `userVerified` (default true) is whether this authenticator verifies its user (UV flag), at
   * registration and in assertions alike; an assertion can override it.
   */
  static create(options: { userVerified?: boolean; aaguid?: string } = {}): SoftAuthenticator {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new SoftAuthenticator(
      privateKey,
      publicKey,
      options.userVerified ?? true,
      aaguidBytes(options.aaguid ?? NO_AAGUID),
    );
  }

  /**
   * The response to creation options as /me/passkeys/registration/options returns them. The RP id
   * is the options' `rp.id`, or the origin's host when they leave it out (as a browser does).
   */
  register(
    options: { challenge: string; rp: { id?: string } },
    origin: string,
  ): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(origin).hostname;
    const clientDataJSON = JSON.stringify({
      type: 'webauthn.create',
      challenge: options.challenge,
      origin,
      crossOrigin: false,
    });
    const credentialId = Buffer.from(this.credentialId, 'base64url');
    const authData = Buffer.concat([
      authenticatorData(rpId, this.flags(this.userVerified) | FLAG_AT, 0),
      this.aaguid,
      uint16(credentialId.length),
      credentialId,
      this.coseKey(),
    ]);
    const attestationObject = encodeCBOR(
      new Map<string, CBORType>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(Buffer.from(clientDataJSON)),
        attestationObject: b64url(attestationObject),
        // What a browser's toJSON() adds alongside the attestation object.
        authenticatorData: b64url(authData),
        publicKey: b64url(this.publicKey.export({ format: 'der', type: 'spki' })),
        publicKeyAlgorithm: COSE_ALG_ES256,
        transports: ['internal'],
      },
    };
  }

  /**
   * An assertion for `challenge` (base64url). Overrides forge what a genuine authenticator would
   * not send: `clientData` fields replace the honest ones; `signCount` is carried as given and
   * leaves this authenticator's own counter where it was (a replayed or cloned key's counter).
   */
  assert(
    challenge: string,
    rpId: string,
    origin: string,
    overrides: {
      clientData?: Partial<Record<string, unknown>>;
      signCount?: number;
      userVerified?: boolean;
    } = {},
  ): AuthenticationResponseJSON {
    const signCount = overrides.signCount ?? ++this.signCount;
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: 'webauthn.get',
        challenge,
        origin,
        crossOrigin: false,
        ...overrides.clientData,
      }),
    );
    const authData = authenticatorData(
      rpId,
      this.flags(overrides.userVerified ?? this.userVerified),
      signCount,
    );
    const signature = sign(
      'sha256',
      Buffer.concat([authData, sha256(clientDataJSON)]),
      this.privateKey,
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
      },
    };
  }

  private flags(userVerified: boolean): number {
    return FLAG_UP | (userVerified ? FLAG_UV : 0);
  }

  /** The public key as COSE_Key {1: EC2, 3: ES256, -1: P-256, -2: x, -3: y}. */
  private coseKey(): Uint8Array {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return encodeCBOR(
      new Map<number, CBORType>([
        [1, COSE_KTY_EC2],
        [3, COSE_ALG_ES256],
        [-1, COSE_CRV_P256],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
  }
}
