import { serviceAccountPrincipal } from '#domain';
import type { ServiceAccountRow } from '#persistence';
import { API_KEY_PREFIX } from '#identity';

/** A service account as the API shows it: never its key, never the key's hash. */
export interface ServiceAccountView {
  name: string;
  principal: string;
  owner: string;
  description?: string;
  groups: string[];
  status: 'active' | 'disabled';
  /** The key's public beginning, to tell which key a log line or a leak report names. */
  keyPrefix: string;
  keyCreatedAt: string;
  keyExpiresAt?: string;
  createdAt: string;
  createdBy: string;
  /** Who received the current key: linked to this account for separation of duties. */
  keyHolder?: string;
  disabledAt?: string;
  lastUsedAt?: string;
}

export function toServiceAccountView(row: ServiceAccountRow): ServiceAccountView {
  return {
    name: row.name,
    principal: serviceAccountPrincipal(row.name),
    owner: row.owner,
    ...(row.description === null ? {} : { description: row.description }),
    groups: row.groups,
    status: row.status,
    keyPrefix: `${API_KEY_PREFIX}${row.keyId}`,
    keyCreatedAt: row.keyCreatedAt.toISOString(),
    ...(row.keyExpiresAt ? { keyExpiresAt: row.keyExpiresAt.toISOString() } : {}),
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    ...(row.keyHolder === null ? {} : { keyHolder: row.keyHolder }),
    ...(row.disabledAt ? { disabledAt: row.disabledAt.toISOString() } : {}),
    ...(row.lastUsedAt ? { lastUsedAt: row.lastUsedAt.toISOString() } : {}),
  };
}
