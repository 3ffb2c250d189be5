import { Inject, Injectable } from '@nestjs/common';
import type { Clock } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import { PrincipalEmailRow, UnitOfWork } from '#persistence';
import { CLOCK } from './wiring/tokens.js';

const MAX_CACHED = 10_000;

/**
 * Remembers the `email` claim each principal last presented in a verified token (only a verified
 * one reaches here), where email notifications go when the config's `emails` names no address
 * (docs/notifications.md). A write only when the address changed.
 */
@Injectable()
export class EmailClaims {
  private readonly written = new Map<string, string>();

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async remember(principal: AuthenticatedPrincipal): Promise<void> {
    const { email } = principal;
    if (email === undefined || this.written.get(principal.id) === email) return;
    const row = Object.assign(new PrincipalEmailRow(), {
      principal: principal.id,
      email,
      seenAt: this.clock.now(),
    });
    await this.uow.run((tx) => tx.getRepository(PrincipalEmailRow).upsert(row, ['principal']));
    if (this.written.size >= MAX_CACHED) this.written.clear();
    this.written.set(principal.id, email);
  }
}
