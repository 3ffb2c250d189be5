import type { DataSource } from 'typeorm';
import type { AuditFilter, ChainVerification, LogIdentity } from '#audit';
import { AuditLog, LogIntegrator, generateSigner } from '#audit';
import { systemClock } from '#domain';
import { UnitOfWork } from '#persistence';

export const TEST_ORIGIN = 'countersign.test/audit';

/**
 * The audit log of a database as a broker runs it, without the broker: writes go to pending,
 * and reads integrate first (a checkpoint at each catch-up that grew the log), signed by a log
 * key of the test's own.
 */
export function testAuditLog(
  dataSource: DataSource,
  uow = new UnitOfWork(dataSource),
  /** Another process's log key: every integrator of one log signs with the same key. */
  signer = generateSigner(TEST_ORIGIN),
) {
  const audit = new AuditLog(systemClock);
  const identity: LogIdentity = { origin: TEST_ORIGIN, verifiers: [signer.verifier] };
  const integrator = new LogIntegrator(
    uow,
    { signerIfCreated: () => Promise.resolve(signer) },
    systemClock,
    { origin: TEST_ORIGIN, checkpointIntervalMs: 0 },
  );
  return {
    audit,
    integrator,
    signer,
    identity,
    async verify(batchSize?: number): Promise<ChainVerification> {
      await integrator.catchUp();
      return audit.verify(dataSource.manager, identity, batchSize);
    },
    async list(filter: AuditFilter) {
      await integrator.catchUp();
      return audit.list(dataSource.manager, filter);
    },
  };
}
