import type { ProviderDefinition, RoleDefinition } from '#domain';
import type { GrantRow } from '#persistence';
import type { PolicyState } from '../policy-state.js';
import type { CredentialProvider } from './credential-provider.js';
import { JwtProvider } from './jwt-provider.js';
import { MysqlProvider } from './mysql-provider.js';
import { PostgresProvider } from './postgres-provider.js';
import { RedisProvider } from './redis-provider.js';
import { SshProvider } from './ssh-provider.js';
import { WebhookProvider } from './webhook-provider.js';

/** Builds the provider a role's `provider` config describes. */
export function buildProvider(definition: ProviderDefinition): CredentialProvider {
  switch (definition.type) {
    case 'jwt':
      return new JwtProvider();
    case 'postgres':
      return new PostgresProvider(definition);
    case 'webhook':
      return new WebhookProvider(definition);
    case 'ssh':
      return new SshProvider(definition);
    case 'redis':
      return new RedisProvider(definition);
    case 'mysql':
      return new MysqlProvider(definition);
  }
}

/**
 * One provider instance per distinct provider config (roles configured alike share a pool), made
 * on first use so a reloaded policy gets its own. Overrides replace every provider of their type
 * (tests inject failing ones).
 */
export class ProviderRegistry {
  private readonly instances = new Map<string, CredentialProvider>();
  private readonly overrides: Map<string, CredentialProvider>;

  constructor(
    private readonly policy: PolicyState,
    overrides: readonly CredentialProvider[] = [],
    private readonly build: (definition: ProviderDefinition) => CredentialProvider = buildProvider,
  ) {
    this.overrides = new Map(overrides.map((provider) => [provider.type, provider]));
  }

  forRole(role: RoleDefinition): CredentialProvider {
    return this.forDefinition(role.provider);
  }

  /**
   * The provider of the grant's role as configured now. A role removed since minting falls back
   * to `jwt`, which has nothing to close: what a removed postgres role opened is left to its
   * `VALID UNTIL` and to reconciliation by a provider still configured for that target.
   */
  forGrant(grant: GrantRow): CredentialProvider {
    return this.forDefinition(this.policy.role(grant.role)?.provider ?? { type: 'jwt' });
  }

  /** Every provider the current policy uses, once each. */
  all(): CredentialProvider[] {
    return [...new Set(this.policy.policy.roles.map((role) => this.forRole(role)))];
  }

  async close(): Promise<void> {
    const closing = [...this.instances.values()].map((provider) =>
      provider.close ? provider.close() : Promise.resolve(),
    );
    await Promise.allSettled(closing);
  }

  private forDefinition(definition: ProviderDefinition): CredentialProvider {
    const override = this.overrides.get(definition.type);
    if (override) return override;
    const key = JSON.stringify(definition);
    let provider = this.instances.get(key);
    if (!provider) {
      provider = this.build(definition);
      this.instances.set(key, provider);
    }
    return provider;
  }
}
