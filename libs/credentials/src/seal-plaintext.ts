import type { EntityManager, EntityTarget } from 'typeorm';
import type { KeyCipher } from './key-cipher.js';

/** A key row as both key stores keep them: the private half sealed under its kid, or in the clear. */
interface KeyRow {
  kid: string;
  privateKey: string;
  encrypted: boolean;
}

/**
 * Seals in place every private key of `table` stored in the clear (a database first run under the
 * demo config, without COUNTERSIGN_ENCRYPTION_KEY) now that an encryption key is configured, as new
 * keys are sealed. Each UPDATE is guarded by `encrypted = false`, so of two brokers starting
 * together exactly one seals each key. Returns the kids this call sealed.
 */
export async function sealPlaintextKeys(
  manager: EntityManager,
  table: EntityTarget<KeyRow>,
  cipher: KeyCipher,
): Promise<string[]> {
  if (!cipher.encrypts) return [];
  // In kid order, so that two brokers lock the rows in the same order (no deadlock).
  const rows = await manager
    .createQueryBuilder(table, 'k')
    .where('k.encrypted = :clear', { clear: false })
    .orderBy('k.kid', 'ASC')
    .getMany();
  const sealed: string[] = [];
  for (const row of rows) {
    const result = await manager
      .createQueryBuilder()
      .update(table)
      .set({ privateKey: cipher.seal(row.privateKey, row.kid), encrypted: true })
      .where('kid = :kid AND encrypted = :clear', { kid: row.kid, clear: false })
      .execute();
    if (result.affected === 1) sealed.push(row.kid);
  }
  return sealed;
}
