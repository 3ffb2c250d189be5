import type { CredentialSigner, SshCertificateAuthority } from '#credentials';
import type { GrantRow, Tx } from '#persistence';

/** What a provider signs with, at grant and at extension time. */
export interface SigningContext {
  /** Signs `jwt` credentials; loaded before the mint transaction opens. */
  signer: CredentialSigner;
}

/** What the recipient sent with the mint besides the request id (docs/api.md §4). */
export interface MintInput {
  /** The OpenSSH public key an `ssh` role's certificate is issued for (already parsed once). */
  sshPublicKey?: string;
}

/** What a provider may use at grant time besides the grant itself. */
export interface GrantContext extends SigningContext {
  /** The mint transaction: what a provider records of the grant (an ssh serial) commits with it. */
  tx: Tx;
  mint: MintInput;
  /** Signs `ssh` certificates. */
  sshAuthority: SshCertificateAuthority;
}

/**
 * The credential handed to the recipient once, in the mint answer. Never stored in clear, never
 * logged, never audited. Field names are part of the contract (docs/api.md §4, docs/providers.md).
 */
export type Credential =
  | { type: 'jwt'; token: string }
  | {
      type: 'postgres';
      host: string;
      port: number;
      database: string;
      username: string;
      password: string;
      url: string;
    }
  /** `url` names the server and user but carries no password (for `redis-cli -u` with REDISCLI_AUTH). */
  | { type: 'redis'; url: string; user: string; password: string }
  | { type: 'mysql'; host: string; port: number; user: string; password: string; url: string }
  | { type: 'ssh-certificate'; certificate: string }
  | WebhookCredential;

/** What a webhook receiver returned under `credential`: bounded string fields, never `type`. */
export type WebhookCredential = { type: 'webhook' } & Record<string, string>;

/** What a provider may use to move a grant's end (docs/api.md "Extending a grant"). */
export interface ExtendContext extends SigningContext {
  /** When the extension is redeemed: a new credential's `iat`. */
  now: Date;
  /** The end being replaced; the grant passed to `extend` carries the new one. */
  previousExpiresAt: Date;
  /** The extension request: with the grant id, the idempotency key of the change. */
  extensionRequestId: string;
  /** Moving the end back to `grant.expiresAt` after the redeeming transaction failed. */
  undo?: true;
}

/** An extension at the target: a new credential where the old one carries its end (`jwt`). */
export interface ExtendedAccess {
  credential?: Credential;
  kid?: string;
}

export interface IssuedCredential {
  credential: Credential;
  /** The signing key of a `jwt` credential; other providers sign nothing. */
  kid?: string;
}

/** Something a provider holds open at its target (a login role), named after its grant. */
export interface LiveAccess {
  grantId: string;
  /** When countersign opened it, where the target keeps that; absent means long ago. */
  createdAt?: Date;
  /** Closes it (idempotent), as `revoke` would; for objects no active grant owns. */
  remove(): Promise<void>;
}

/**
 * Opens and closes access at a target system (docs/providers.md). `grant` runs inside the mint
 * transaction with the grant id as its idempotency key; `revoke` must be idempotent and throw when
 * the target could not be reached. Error messages of both are audited: they never carry a secret.
 */
export interface CredentialProvider {
  readonly type: string;
  grant(grant: GrantRow, context: GrantContext): Promise<IssuedCredential>;
  revoke(grant: GrantRow): Promise<void>;
  /**
   * Moves an open grant's end to `grant.expiresAt` (never opens anything: a grant the target no
   * longer holds is an error). Runs inside the redeeming transaction, holding the grant's row, so
   * nothing ends the grant meanwhile; a provider without it cannot extend (the mint refuses).
   */
  extend?(grant: GrantRow, context: ExtendContext): Promise<ExtendedAccess>;
  /** What is open at the target, for reconciliation; empty where the target cannot be listed. */
  listLive(): Promise<LiveAccess[]>;
  /** Releases connections at shutdown. */
  close?(): Promise<void>;
}

/** A provider failure whose message is safe to audit and return: no URL, secret or SQL text. */
export class ProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** The audit-safe message of anything a provider threw. */
export function providerFailure(error: unknown): string {
  return error instanceof ProviderError ? error.message : 'provider failed';
}
