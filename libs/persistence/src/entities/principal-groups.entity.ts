import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs, jsonText } from '../columns.js';

/**
 * The groups a principal last presented in a verified token. A path that carries no
 * token, such as a Slack click, judges admin reach with these (plus the directory) rather than
 * assume none.
 */
@Entity('principal_groups')
export class PrincipalGroupsRow {
  @PrimaryColumn({ type: 'varchar', length: 512 })
  principal!: string;

  @Column({ name: 'token_groups', type: 'text', transformer: jsonText })
  tokenGroups!: string[];

  @Column({ name: 'seen_at', type: 'bigint', transformer: epochMs })
  seenAt!: Date;
}
