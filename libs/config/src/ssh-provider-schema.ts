import { isIP } from 'node:net';
import type { ProviderDefinition } from '#domain';
import { z } from 'zod';

/** The extensions OpenSSH defines for user certificates (PROTOCOL.certkeys). */
export const SSH_EXTENSIONS = [
  'permit-X11-forwarding',
  'permit-agent-forwarding',
  'permit-port-forwarding',
  'permit-pty',
  'permit-user-rc',
] as const;

/** A principal as sshd compares it with a login name or an AuthorizedPrincipalsFile line. */
const principal = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\s,"'#]+$/, 'no whitespace, commas, quotes or #');

/** An address or CIDR block, as the `source-address` critical option lists them. */
const cidr = z
  .string()
  .max(64)
  .refine(isCidr, 'expected an IP address or CIDR block (10.0.0.0/8, 2001:db8::/32)');

function isCidr(value: string): boolean {
  const [address = '', prefix, extra] = value.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** `provider: {type: ssh}` (docs/providers.md "SSH certificates"): what each certificate carries. */
export const sshProvider = z
  .strictObject({
    type: z.literal('ssh'),
    principals: z.array(principal).min(1).max(64),
    extensions: z.array(z.enum(SSH_EXTENSIONS)).max(SSH_EXTENSIONS.length).default([]),
    sourceAddress: z.array(cidr).min(1).max(64).optional(),
  })
  .transform((provider): ProviderDefinition => ({
    type: 'ssh',
    principals: [...new Set(provider.principals)],
    // OpenSSH wants a certificate's extensions in lexical order, each once.
    extensions: [...new Set(provider.extensions)].sort(),
    ...(provider.sourceAddress ? { sourceAddress: provider.sourceAddress } : {}),
  }));
