import type { GrantRow } from '#persistence';
import type { PolicyState } from '../policy-state.js';

/**
 * Opens and closes access at a target system (issue 6 adds `grant` and `listLive`). `revoke` must be
 * idempotent and throw when the target could not be reached; the error message must not carry
 * secrets, as it is audited.
 */
export interface CredentialProvider {
  readonly type: string;
  revoke(grant: GrantRow): Promise<void>;
}

/**
 * The `jwt` provider has nothing to call: its credential is self-contained, and the grant row's
 * status is what introspection and the signed revocation list report.
 */
export class JwtProvider implements CredentialProvider {
  readonly type = 'jwt';

  revoke(): Promise<void> {
    return Promise.resolve();
  }
}

export class ProviderRegistry {
  private readonly byType: Map<string, CredentialProvider>;

  constructor(
    providers: readonly CredentialProvider[],
    private readonly policy: PolicyState,
  ) {
    this.byType = new Map(providers.map((provider) => [provider.type, provider]));
  }

  /** The provider of the grant's role; a role removed since minting falls back to `jwt`. */
  forGrant(grant: GrantRow): CredentialProvider {
    const type = this.policy.role(grant.role)?.provider.type ?? 'jwt';
    const provider = this.byType.get(type);
    if (!provider) throw new Error(`no provider of type ${type}`);
    return provider;
  }
}
