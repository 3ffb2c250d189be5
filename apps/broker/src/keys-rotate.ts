import 'reflect-metadata';
import type { KeyRotation } from '#access';
import { rotateSigningKey } from '#access';
import { AuditLog } from '#audit';
import { ConfigError, loadConfig } from '#config';
import type { AppConfig } from '#config';
import { KeyCipher, LogKeys, SigningKeys, SshCertificateAuthority } from '#credentials';
import { systemClock } from '#domain';
import { UnitOfWork, openDatabase } from '#persistence';

/**
 * `npm run keys:rotate`: adds a signing key that signs from now on, as `POST /v1/keys/rotate` does
 * for an admin (both call `rotateSigningKey`), recorded with the actor `system`. The previous keys
 * stay in JWKS for the longest role maxExtendedDuration. Running brokers pick the new key up within
 * their 10 s key cache.
 */
export async function rotateKeys(config: AppConfig): Promise<KeyRotation> {
  const dataSource = await openDatabase(config.database);
  try {
    const keys = new SigningKeys(
      dataSource,
      new KeyCipher(config.encryptionKey),
      config.credentials.algorithm,
      systemClock,
    );
    const audit = new AuditLog(systemClock);
    return await new UnitOfWork(dataSource).run((tx) =>
      rotateSigningKey(tx, keys, audit, config.policy, 'system'),
    );
  } finally {
    await dataSource.destroy();
  }
}

/**
 * `npm run keys:rotate -- --log`: adds a log key that signs checkpoints from now on, recorded as
 * `key.rotated` {purpose: log}. Earlier log keys stay published: their checkpoints still verify.
 */
export async function rotateLogKey(
  config: AppConfig,
): Promise<{ keyId: string; previous?: string }> {
  const dataSource = await openDatabase(config.database);
  try {
    const keys = new LogKeys(
      dataSource,
      new KeyCipher(config.encryptionKey),
      config.audit.origin,
      systemClock,
    );
    const audit = new AuditLog(systemClock);
    return await new UnitOfWork(dataSource).run(async (tx) => {
      const rotation = await keys.rotate(tx);
      await audit.append(tx, {
        type: 'key.rotated',
        actor: 'system',
        data: { purpose: 'log', keyId: rotation.keyId, previous: rotation.previous ?? null },
      });
      return rotation;
    });
  } finally {
    await dataSource.destroy();
  }
}

/**
 * `npm run keys:rotate -- --ssh`: adds an SSH CA key that signs certificates from now on,
 * recorded as `key.rotated` {purpose: ssh}. The previous key stays in
 * /.well-known/countersign-ssh-ca.pub for the longest role maxDuration: hosts fetch the file anew
 * to trust the new key (docs/providers.md "SSH certificates").
 */
export async function rotateSshCaKey(
  config: AppConfig,
): Promise<{ keyId: string; previous?: string }> {
  const dataSource = await openDatabase(config.database);
  try {
    const authority = new SshCertificateAuthority(
      new KeyCipher(config.encryptionKey),
      new AuditLog(systemClock),
      systemClock,
    );
    return await new UnitOfWork(dataSource).run((tx) => authority.rotate(tx));
  } finally {
    await dataSource.destroy();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--ssh')) {
    const rotation = await rotateSshCaKey(loadConfig());
    console.log(`new ssh CA key ${rotation.keyId}`);
    return;
  }
  if (process.argv.includes('--log')) {
    const rotation = await rotateLogKey(loadConfig());
    console.log(`new log key ${rotation.keyId}`);
    return;
  }
  const result = await rotateKeys(loadConfig());
  console.log(`new signing key ${result.kid}`);
  if (result.retired.length > 0) {
    console.log(`retired ${result.retired.join(', ')}: kept in JWKS for ${result.publishedFor}s`);
  }
}

if (process.argv[1]?.endsWith('keys-rotate.js')) {
  main().catch((error: unknown) => {
    console.error(
      `countersign: key rotation failed: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  });
}
