import type { GrantRow } from '#persistence';
import type { CredentialProvider, GrantContext, IssuedCredential } from './credential-provider.js';

/**
 * The `jwt` provider opens nothing outside countersign: its credential is a signed JWT, and the
 * grant row's status is what introspection and the signed revocation list report.
 */
export class JwtProvider implements CredentialProvider {
  readonly type = 'jwt';

  async grant(grant: GrantRow, context: GrantContext): Promise<IssuedCredential> {
    const { token, kid } = await context.signer.mint({
      grantId: grant.id,
      requestId: grant.requestId,
      recipient: grant.recipient,
      resource: grant.resource,
      role: grant.role,
      actions: grant.actions,
      approvers: grant.approvers,
      issuedAt: grant.issuedAt,
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
