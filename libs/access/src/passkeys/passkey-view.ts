import type { PasskeyRow } from '#persistence';

/** A passkey as pages show it: public facts only, never its key. */
export interface PasskeyView {
  id: string;
  principal: string;
  name: string;
  credentialId: string;
  aaguid: string;
  createdAt: string;
  lastUsedAt?: string;
}

export function toPasskeyView(row: PasskeyRow): PasskeyView {
  return {
    id: row.id,
    principal: row.principal,
    name: row.name,
    credentialId: row.credentialId,
    aaguid: row.aaguid,
    createdAt: row.createdAt.toISOString(),
    ...(row.lastUsedAt ? { lastUsedAt: row.lastUsedAt.toISOString() } : {}),
  };
}
