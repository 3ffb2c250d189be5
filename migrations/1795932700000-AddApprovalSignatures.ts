import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TableColumn } from 'typeorm';

/**
 * An approval's own evidence when the approver's passkey signed it (docs/identity.md, "Signed
 * approvals"): the WebAuthn assertion, the nonce it answered and the passkey that made it, as
 * JSON. Null for an approval the broker attests alone, as every approval before this was.
 */
export class AddApprovalSignatures1795932700000 implements MigrationInterface {
  name = 'AddApprovalSignatures1795932700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'approvals',
      new TableColumn({ name: 'signature', type: 'text', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('approvals', 'signature');
  }
}
