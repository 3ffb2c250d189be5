import { Inject, Injectable } from '@nestjs/common';
import { CredentialMinter } from '#credentials';
import type { AccessRequestRow, ApprovalRow, Refusal, Tx } from '#persistence';
import { UnitOfWork } from '#persistence';
import type { MintedCredential, Opened } from './grant-issuer.js';
import { GrantIssuer } from './grant-issuer.js';
import type { RevocationScheduler } from './revocation/revocation-scheduler.js';
import { REVOCATION_SCHEDULER } from './wiring/tokens.js';

/** `GrantIssuer.issue` in the transaction `Issuance.run` opened, with the signer loaded for it. */
export type Issue = (
  row: AccessRequestRow,
  approvals: readonly ApprovalRow[],
) => Promise<MintedCredential | Refusal>;

/**
 * One issuing transaction, as a mint and a break-glass activation both run it: the signing key is
 * loaded before the transaction (inside, it would need a second pool connection while holding row
 * and audit locks), whatever a provider opened is withdrawn if the transaction fails, and the
 * grant's revocation is scheduled once the grant has committed, before the credential leaves.
 */
@Injectable()
export class Issuance {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly minter: CredentialMinter,
    private readonly issuer: GrantIssuer,
    @Inject(REVOCATION_SCHEDULER) private readonly scheduler: RevocationScheduler,
  ) {}

  async run<T extends MintedCredential>(
    work: (tx: Tx, issue: Issue) => Promise<T | Refusal>,
  ): Promise<T> {
    const signer = await this.minter.signer();
    const opened: Opened[] = [];
    const issued = await this.uow
      .run((tx) =>
        work(tx, (row, approvals) => this.issuer.issue(tx, signer, row, approvals, opened)),
      )
      .catch((error: unknown) => {
        // Nothing committed, or the provider refused: close whatever it may have opened anyway.
        this.issuer.withdraw(opened);
        throw error;
      });
    // The grant row (with expiresAt) is committed: it is the truth the sweep works from. The
    // fast path is scheduled before the credential leaves; it never fails the issue.
    await this.scheduler.schedule([new Date(issued.expiresAt)]);
    return issued;
  }
}
