import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AuditLog } from '#audit';
import type { AppConfig } from '#config';
import { SigningKeys } from '#credentials';
import { UnitOfWork } from '#persistence';
import { APP_CONFIG, DATA_SOURCE } from './core.providers.js';

/** Creates the first signing key, says loudly when keys are stored in the clear, closes the database. */
@Injectable()
export class StartupService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Startup');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly keys: SigningKeys,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLog,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.encryptionKey) {
      this.logger.warn(
        'COUNTERSIGN_ENCRYPTION_KEY is not set: signing keys are stored unencrypted (allowed only under the demo config)',
      );
    }
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
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
