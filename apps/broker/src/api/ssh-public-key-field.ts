import { parseSshPublicKey } from '#credentials';
import { invalidRequest } from '#domain';

/** A body's `sshPublicKey`, checked as an OpenSSH public key (ssh-public-key.ts), or a 400 naming it. */
export function checkedSshPublicKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = parseSshPublicKey(value);
  if (typeof parsed === 'string')
    throw invalidRequest([{ field: 'sshPublicKey', message: parsed }]);
  return value;
}
