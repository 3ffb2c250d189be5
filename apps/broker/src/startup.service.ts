import type { OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditLog } from '#audit';
import type { AppConfig } from '#config';
import { LogKeys, SigningKeys, SshCertificateAuthority } from '#credentials';
import { UnitOfWork } from '#persistence';
import { APP_CONFIG } from '#access';

/**
 * Creates the first signing key and the audit log's key, seals keys a demo run left in the clear
 * now that an encryption key is configured, and says loudly when keys are stored in the clear.
 */
@Injectable()
export class StartupService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Startup');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: SigningKeys,
    private readonly logKeys: LogKeys,
    private readonly sshAuthority: SshCertificateAuthority,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLog,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.encryptionKey) {
      this.logger.warn(
        'COUNTERSIGN_ENCRYPTION_KEY is not set: signing keys are stored unencrypted (allowed only under the demo config)',
      );
    }
    await this.sealPlaintextKeys();
    const created = await this.keys.ensureActiveKey();
    if (created) {
      await this.uow.run((tx) =>
        this.audit.append(tx, {
          type: 'key.created',
          actor: 'system',
          data: { kid: created, algorithm: this.config.credentials.algorithm },
        }),
      );
      this.logger.log(`created signing key ${created}`);
    }
    const logKey = await this.logKeys.ensureKey();
    if (logKey) {
      await this.uow.run((tx) =>
        this.audit.append(tx, {
          type: 'key.created',
          actor: 'system',
          data: { purpose: 'log', keyId: logKey },
        }),
      );
      this.logger.log(`created log key ${logKey} (${this.config.audit.origin})`);
    }
  }

  /** The seal and its `key.encrypted` event commit together; only the broker that sealed logs. */
  private async sealPlaintextKeys(): Promise<void> {
    const sealed = await this.uow.run(async (tx) => {
      const kids = await this.keys.sealPlaintextKeys(tx);
      for (const kid of kids) {
        await this.audit.append(tx, { type: 'key.encrypted', actor: 'system', data: { kid } });
      }
      const logKids = await this.logKeys.sealPlaintextKeys(tx);
      for (const keyId of logKids) {
        await this.audit.append(tx, {
          type: 'key.encrypted',
          actor: 'system',
          data: { purpose: 'log', keyId },
        });
      }
      const sshKids = await this.sshAuthority.sealPlaintextKeys(tx);
      for (const keyId of sshKids) {
        await this.audit.append(tx, {
          type: 'key.encrypted',
          actor: 'system',
          data: { purpose: 'ssh', keyId },
        });
      }
      return { kids, logKids, sshKids };
    });
    for (const keyId of sealed.sshKids) {
      this.logger.warn(
        `ssh CA key ${keyId} was stored unencrypted (created without COUNTERSIGN_ENCRYPTION_KEY): encrypted it in place; rotate it (npm run keys:rotate -- --ssh) if the database may have been copied`,
      );
    }
    for (const keyId of sealed.logKids) {
      this.logger.warn(
        `log key ${keyId} was stored unencrypted (created without COUNTERSIGN_ENCRYPTION_KEY): encrypted it in place`,
      );
    }
    for (const kid of sealed.kids) {
      this.logger.warn(
        `signing key ${kid} was stored unencrypted (created without COUNTERSIGN_ENCRYPTION_KEY): encrypted it in place; rotate it (POST /v1/keys/rotate) if the database may have been copied`,
      );
    }
  }
}
