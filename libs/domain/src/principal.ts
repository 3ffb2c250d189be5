/** An authenticated identity: `<issuerName>:<sub>`, with the groups its token and the directory give it. */
export interface Principal {
  readonly id: string;
  readonly groups: readonly string[];
}

/** Who a rule applies to: members of any listed group, or any listed principal id. */
export interface Selector {
  readonly groups?: readonly string[];
  readonly principals?: readonly string[];
}

export function matchesSelector(selector: Selector, principal: Principal): boolean {
  if (selector.principals?.includes(principal.id)) return true;
  return (selector.groups ?? []).some((group) => principal.groups.includes(group));
}

/**
 * Principal ids by kind (docs/identity.md). People and other identities of a configured issuer are
 * `<issuerName>:<sub>`; a workload's is `spiffe:<SPIFFE ID>` whatever the name of the issuer that
 * vouched for it (a SPIFFE ID already names its trust domain); a service account's is
 * `local:<name>`. The two prefixes are reserved: no issuer of people may be named after them.
 */
export const WORKLOAD_PREFIX = 'spiffe';
export const SERVICE_ACCOUNT_PREFIX = 'local';

export type PrincipalKind = 'issuer' | 'workload' | 'service_account';

export function principalKind(id: string): PrincipalKind {
  if (id.startsWith(`${WORKLOAD_PREFIX}:`)) return 'workload';
  if (id.startsWith(`${SERVICE_ACCOUNT_PREFIX}:`)) return 'service_account';
  return 'issuer';
}

/** A service account's name: short, lower case, usable in a URL path and in its key's prefix. */
export const SERVICE_ACCOUNT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const serviceAccountPrincipal = (name: string): string =>
  `${SERVICE_ACCOUNT_PREFIX}:${name}`;

export interface SpiffeId {
  readonly trustDomain: string;
  readonly path: string;
}

// Bounded below the SPIFFE maximum (2048) so `spiffe:<id>` fits every principal column (512).
const MAX_SPIFFE_ID = 500;
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

/** A trust domain name as the SPIFFE ID standard allows it (lower case, no port, no user info). */
export function isTrustDomain(value: string): boolean {
  return TRUST_DOMAIN.test(value);
}

/**
 * A workload's SPIFFE ID (`spiffe://<trust domain>/<path>`) per the SPIFFE ID standard, or
 * undefined: no query, fragment, port, user info, empty, `.` or `..` segment, or trailing slash.
 * A bare trust domain names no workload, so it is refused too.
 */
export function parseSpiffeId(value: string): SpiffeId | undefined {
  if (value.length > MAX_SPIFFE_ID || !value.startsWith('spiffe://')) return undefined;
  const rest = value.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const trustDomain = rest.slice(0, slash);
  const path = rest.slice(slash);
  if (!isTrustDomain(trustDomain)) return undefined;
  const segments = path.slice(1).split('/');
  const valid = segments.every(
    (segment) => PATH_SEGMENT.test(segment) && segment !== '.' && segment !== '..',
  );
  return valid ? { trustDomain, path } : undefined;
}

export const workloadPrincipal = (spiffeId: string): string => `${WORKLOAD_PREFIX}:${spiffeId}`;
