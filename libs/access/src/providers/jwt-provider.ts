import type { GrantRow } from '#persistence';
import type {
  CredentialProvider,
  ExtendContext,
  ExtendedAccess,
  GrantContext,
  IssuedCredential,
  SigningContext,
} from './credential-provider.js';

/**
 * The `jwt` provider opens nothing outside countersign: its credential is a signed JWT, and the
 * grant row's status is what introspection and the signed revocation list report.
 */
export class JwtProvider implements CredentialProvider {
  readonly type = 'jwt';

  grant(grant: GrantRow, context: GrantContext): Promise<IssuedCredential> {
    return this.sign(grant, grant.issuedAt, context);
  }

  /**
   * A JWT carries its end in `exp`: an extension signs a new one, with the same `jti` (the grant
   * id), issued now, ending at the new end. The old token keeps its own `exp`; introspection and
   * the revocation list answer for both by the grant.
   */
  extend(grant: GrantRow, context: ExtendContext): Promise<ExtendedAccess> {
    return this.sign(grant, context.now, context);
  }

  private async sign(
    grant: GrantRow,
    issuedAt: Date,
    context: SigningContext,
  ): Promise<IssuedCredential> {
    const { token, kid } = await context.signer.mint({
      grantId: grant.id,
      requestId: grant.requestId,
      recipient: grant.recipient,
      resource: grant.resource,
      role: grant.role,
      actions: grant.actions,
      approvers: grant.approvers,
      issuedAt,
      expiresAt: grant.expiresAt,
      ...(grant.act ? { actor: grant.act } : {}),
    });
    return { credential: { type: 'jwt', token }, kid };
  }

  revoke(): Promise<void> {
    return Promise.resolve();
  }

  listLive(): Promise<[]> {
    return Promise.resolve([]);
  }
}
