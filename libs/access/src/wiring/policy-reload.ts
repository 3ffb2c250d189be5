import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { AppConfig } from '#config';
import { ConfigError } from '#config';
import type { Principal } from '#domain';
import { checkAdmin, invalidRequest } from '#domain';
import { UnitOfWork } from '#persistence';
import type { PolicyChangeReport } from '../policy-change.js';
import { ApplyPolicyChange } from '../policy-change.js';
import { PolicyState } from '../policy-state.js';
import { refuseDecision } from '../audit-helpers.js';
import { PolicyBroadcast } from './policy-broadcast.js';
import { APP_CONFIG } from './tokens.js';

/** Where a reload reads the config from: the file at COUNTERSIGN_CONFIG, or a test's own. */
export const CONFIG_SOURCE = 'countersign:config-source';
export type ConfigSource = () => AppConfig;

/** Settings a reload does not apply: they are wired into connections and verifiers at start-up. */
const NEEDS_RESTART = [
  'port',
  'publicUrl',
  'database',
  'redisUrl',
  'issuers',
  'workloadIssuers',
  'rateLimit',
  'credentials',
  'revocation',
  'audit',
  'slack',
  'web',
] as const;

export interface ReloadReport extends PolicyChangeReport {
  /** Settings that changed in the file but take effect only after a restart. */
  restartNeeded: string[];
}

/**
 * Reloads the policy (roles, admins, separation, owners, aliases, delegations, directory) from the config
 * source, on SIGHUP or the admin endpoint. A config that does not validate changes nothing: the
 * ConfigError goes back to the caller. Reloads run one at a time. Both announce the new policy to
 * the other replicas (PolicyBroadcast), which reload their own config as `system`, as SIGHUP does.
 */
@Injectable()
export class PolicyReload {
  private readonly logger = new Logger('PolicyReload');
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CONFIG_SOURCE) private readonly source: ConfigSource,
    private readonly change: ApplyPolicyChange,
    private readonly policy: PolicyState,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLog,
    private readonly broadcast: PolicyBroadcast,
  ) {
    broadcast.onPeerChange(async () => {
      const report = await this.reload('system');
      this.logger.log(`policy reloaded after another replica's: ${JSON.stringify(report)}`);
    });
  }

  /** `POST /v1/policy/reload`: admins only; a refusal is audited (`policy.evaluated`, `policy.refused`). */
  async reloadBy(principal: Principal): Promise<ReloadReport> {
    const decision = checkAdmin(this.policy.policy, principal, 'policy.reload');
    if (!decision.allowed) {
      const subject = { actor: principal.id, action: 'policy.reload', data: { action: 'reload' } };
      return this.uow.run<ReloadReport>((tx) =>
        refuseDecision(tx, this.audit, 'policy.refused', subject, decision),
      );
    }
    try {
      return await this.reloadAndAnnounce(principal.id);
    } catch (error) {
      if (error instanceof ConfigError) {
        throw invalidRequest([{ field: error.field, message: error.message }]);
      }
      throw error;
    }
  }

  reload(actor: string): Promise<ReloadReport> {
    const run = this.queue.then(() => this.reloadNow(actor));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** SIGHUP: reload, and log the outcome (the signal has no one to answer). */
  onSignal(): void {
    this.reloadAndAnnounce('system').then(
      (report) => this.logger.log(`policy reloaded: ${JSON.stringify(report)}`),
      (error: unknown) =>
        this.logger.error(
          `policy reload refused, the policy in force is unchanged: ${error instanceof Error ? error.message : String(error)}`,
        ),
    );
  }

  private async reloadAndAnnounce(actor: string): Promise<ReloadReport> {
    const report = await this.reload(actor);
    await this.broadcast.announce();
    return report;
  }

  private async reloadNow(actor: string): Promise<ReloadReport> {
    const next = this.source();
    const restartNeeded = NEEDS_RESTART.filter(
      (key) => JSON.stringify(next[key]) !== JSON.stringify(this.config[key]),
    );
    const report = await this.change.apply(actor, next);
    return { ...report, restartNeeded: [...restartNeeded] };
  }
}

/** The worker swaps the policy it decides with, and leaves re-evaluation to the broker. */
export function swapPolicyOnSignal(policy: PolicyState, source: ConfigSource): void {
  const logger = new Logger('PolicyReload');
  process.on('SIGHUP', () => {
    try {
      policy.replace(source());
      logger.log('policy reloaded');
    } catch (error) {
      logger.error(
        `policy reload refused, the policy in force is unchanged: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  });
}

/** The worker follows another replica's reload the same way: its own file, swapped, not announced. */
export function swapPolicyOnPeerChange(
  broadcast: PolicyBroadcast,
  policy: PolicyState,
  source: ConfigSource,
): void {
  broadcast.onPeerChange(() => {
    policy.replace(source());
    return Promise.resolve();
  });
}
