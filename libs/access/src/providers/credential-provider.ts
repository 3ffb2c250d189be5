import type { CredentialSigner } from '#credentials';
import type { GrantRow } from '#persistence';

/** What a provider may use at grant time besides the grant itself. */
export interface GrantContext {
  /** Signs `jwt` credentials; loaded before the mint transaction opens. */
  signer: CredentialSigner;
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
  | WebhookCredential;

/** What a webhook receiver returned under `credential`: bounded string fields, never `type`. */
export type WebhookCredential = { type: 'webhook' } & Record<string, string>;

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
