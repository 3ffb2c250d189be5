import type { DomainError, RoleDefinition } from '#domain';
import { invalidRequest } from '#domain';
import type { MintInput } from './providers/credential-provider.js';

/**
 * Whether what came with a mint (or a break-glass activation) fits the role: an `ssh` role's new
 * grant needs the recipient's public key (`sshPublicKey`); nothing else takes one, an extension
 * neither (an ssh grant cannot be extended: the provider refuses it). A misfit is the caller's
 * mistake, a 400 before anything is recorded.
 */
export function mintInputMisfit(
  role: RoleDefinition | undefined,
  extension: boolean,
  mint: MintInput,
): DomainError | undefined {
  const takesKey = role?.provider.type === 'ssh' && !extension;
  if (takesKey && mint.sshPublicKey === undefined)
    return invalidRequest([
      { field: 'sshPublicKey', message: 'is required: the OpenSSH public key to certify' },
    ]);
  if (!takesKey && mint.sshPublicKey !== undefined)
    return invalidRequest([{ field: 'sshPublicKey', message: 'is not a known field' }]);
  return undefined;
}
