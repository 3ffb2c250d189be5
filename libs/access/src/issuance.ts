import { Inject, Injectable } from '@nestjs/common';
import { CredentialMinter } from '#credentials';
import type { AccessRequestRow, ApprovalRow, Refusal, Tx } from '#persistence';
import { UnitOfWork } from '#persistence';
import type { ExtendedCredential, Reopened } from './grant-extender.js';
import { GrantExtender } from './grant-extender.js';
import type { MintedCredential, Opened } from './grant-issuer.js';
import { GrantIssuer } from './grant-issuer.js';
import type { MintInput } from './providers/credential-provider.js';
import type { RevocationScheduler } from './revocation/revocation-scheduler.js';
import { REVOCATION_SCHEDULER } from './wiring/tokens.js';

/** `GrantIssuer.issue` in the transaction `Issuance.run` opened, with the signer loaded for it. */
export type Issue = (
  row: AccessRequestRow,
  approvals: readonly ApprovalRow[],
  mint?: MintInput,
) => Promise<MintedCredential | Refusal>;

/** `GrantExtender.extend` in the transaction `Issuance.run` opened, for an extension request. */
export type Extend = (
  row: AccessRequestRow,
  approvals: readonly ApprovalRow[],
) => Promise<ExtendedCredential | Refusal>;

/**
 * One issuing transaction, as a mint (of a grant or of an extension) and a break-glass activation
 * all run it: the signing key is
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
    private readonly extender: GrantExtender,
    @Inject(REVOCATION_SCHEDULER) private readonly scheduler: RevocationScheduler,
  ) {}

  async run<T extends MintedCredential | ExtendedCredential>(
    work: (tx: Tx, issue: Issue, extend: Extend) => Promise<T | Refusal>,
  ): Promise<T> {
    const signer = await this.minter.signer();
    const opened: Opened[] = [];
    const reopened: Reopened[] = [];
    const issued = await this.uow
      .run((tx) =>
        work(
          tx,
          (row, approvals, mint) => this.issuer.issue(tx, signer, row, approvals, opened, mint),
          (row, approvals) => this.extender.extend(tx, signer, row, approvals, reopened),
        ),
      )
      .catch((error: unknown) => {
        // Nothing committed, or the provider refused: close whatever it may have opened anyway,
        // and move back whatever end it moved.
        this.issuer.withdraw(opened);
        if (reopened.length > 0) {
          this.extender.restore(reopened);
          // The grant's row was held across the provider's extend, so an expiry run due meanwhile
          // skipped it (SKIP LOCKED): one now ends it if its end has passed, not the next sweep.
          this.scheduler.schedule([new Date()]).catch(() => undefined);
        }
        throw error;
      });
    // The grant row (with expiresAt) is committed: it is the truth the sweep works from. The
    // fast path is scheduled before the credential leaves; it never fails the issue.
    await this.scheduler.schedule([new Date(issued.expiresAt)]);
    return issued;
  }
}
