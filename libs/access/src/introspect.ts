import { Inject, Injectable } from '@nestjs/common';
import { CredentialVerifier } from '#credentials';
import type { Clock } from '#domain';
import { GrantRepository, UnitOfWork } from '#persistence';
import { CLOCK } from './wiring/tokens.js';

export type Introspection =
  | { active: false }
  | {
      active: true;
      sub: string;
      aud: string | string[];
      exp: number;
      iat: number;
      jti: string;
      role: string;
      scope: string;
      /** RFC 8693: the agent acting for `sub`, when one is. */
      act?: { sub: string };
    };

/** RFC 7662: active only for a credential we signed whose grant is still active and unexpired. */
@Injectable()
export class IntrospectCredential {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly grants: GrantRepository,
    private readonly verifier: CredentialVerifier,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(token: string): Promise<Introspection> {
    const now = this.clock.now();
    const claims = await this.verifier.verify(token, now);
    if (
      !claims ||
      claims.aud === undefined ||
      claims.exp === undefined ||
      claims.iat === undefined
    ) {
      return { active: false };
    }
    const grant = await this.uow.read((db) => this.grants.findByCredentialId(db, claims.jti));
    if (!grant || grant.status !== 'active' || grant.expiresAt.getTime() <= now.getTime())
      return { active: false };
    return {
      active: true,
      sub: claims.sub,
      aud: claims.aud,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      role: grant.role,
      scope: grant.actions.join(' '),
      ...(grant.act ? { act: { sub: grant.act } } : {}),
    };
  }
}
