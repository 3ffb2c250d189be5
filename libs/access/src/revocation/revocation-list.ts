import { Inject, Injectable } from '@nestjs/common';
import { CredentialMinter } from '#credentials';
import type { Clock } from '#domain';
import { GrantRepository, UnitOfWork } from '#persistence';
import { CLOCK } from '../wiring/tokens.js';

/** How long a verifier may rely on one list; it should fetch again before then. */
export const REVOCATION_LIST_LIFETIME_SECONDS = 300;

/**
 * The signed revocation list: credentials revoked before their expiry and not yet expired, so a
 * verifier can check revocation offline between introspection calls. Expired credentials are left
 * out: their `exp` already refuses them.
 */
@Injectable()
export class RevocationList {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly grants: GrantRepository,
    private readonly minter: CredentialMinter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async signed(): Promise<string> {
    const now = this.clock.now();
    const revoked = await this.uow.read((db) => this.grants.revokedUnexpired(db, now));
    const signer = await this.minter.signer();
    return signer.signRevocationList(revoked, now, REVOCATION_LIST_LIFETIME_SECONDS);
  }
}
