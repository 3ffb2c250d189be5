import { Inject, Injectable } from '@nestjs/common';
import sshpk from 'sshpk';
import type { EntityManager } from 'typeorm';
import type { RevokedSerials, SshCaPublicKey } from '#credentials';
import { SshCertificateAuthority, buildKrl } from '#credentials';
import type { Clock } from '#domain';
import { GrantRow, SshCertificateRow, UnitOfWork } from '#persistence';
import { PolicyState } from './policy-state.js';
import { CLOCK } from './wiring/tokens.js';

/**
 * What sshd needs from the broker (docs/providers.md "SSH certificates"): the CA public keys to
 * trust and the key revocation list. Both are public; the KRL is built from the database on each
 * request, so a revocation is in it from the next fetch.
 */
@Injectable()
export class SshAccess {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly authority: SshCertificateAuthority,
    private readonly policy: PolicyState,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * The CA public keys, one OpenSSH line each (a TrustedUserCAKeys file); the first is made on
   * the first call, so hosts can be set up before any certificate is issued. A read otherwise:
   * the route is public.
   */
  async caPublicKeys(): Promise<string> {
    let keys = await this.uow.read((db) => this.trusted(db));
    if (keys.length === 0) {
      keys = await this.uow.run(async (tx) => {
        await this.authority.ensureKey(tx);
        return this.trusted(tx);
      });
    }
    return keys.map((key) => `${key.publicKey}\n`).join('');
  }

  /**
   * The serials of certificates whose grant was revoked early and which have not expired yet
   * (an expired one is refused anyway), per CA key, as an OpenSSH KRL.
   */
  async krl(): Promise<Buffer> {
    const now = this.clock.now();
    // No CA key yet: an empty list, valid as such.
    const { keys, revoked } = await this.uow.read(async (db) => ({
      keys: await this.trusted(db),
      revoked: await db
        .createQueryBuilder(SshCertificateRow, 'c')
        .innerJoin(GrantRow, 'g', 'g.id = c.grant_id')
        .where('g.status = :revoked', { revoked: 'revoked' })
        .andWhere('c.valid_until > :now', { now: now.getTime() })
        .select(['c.serial AS serial', 'c.ca_kid AS kid'])
        .getRawMany<{ serial: string; kid: string }>(),
    }));
    const sections: RevokedSerials[] = keys.map(({ kid, publicKey }) => ({
      caKey: sshpk.parseKey(publicKey, 'ssh').toBuffer('rfc4253'),
      serials: revoked.filter((row) => row.kid === kid).map((row) => BigInt(row.serial)),
    }));
    return buildKrl(sections, BigInt(Math.floor(now.getTime() / 1000)), now);
  }

  /**
   * The key that signs, and each rotated-out key while a certificate it signed may still be
   * valid: for the longest role maxDuration after its rotation (an ssh grant is never extended).
   */
  private async trusted(db: EntityManager): Promise<SshCaPublicKey[]> {
    const longestMs =
      Math.max(0, ...this.policy.policy.roles.map((role) => role.maxDuration)) * 1000;
    const now = this.clock.now().getTime();
    const keys = await this.authority.publicKeys(db);
    return keys.filter(
      (key) => key.retiredAt === null || key.retiredAt.getTime() + longestMs > now,
    );
  }
}
