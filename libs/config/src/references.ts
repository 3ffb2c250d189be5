import type { Selector } from '#domain';
import {
  IdentityGraph,
  OwnershipCycleError,
  SERVICE_ACCOUNT_NAME,
  SERVICE_ACCOUNT_PREFIX,
  WORKLOAD_PREFIX,
  parseSpiffeId,
  principalKind,
} from '#domain';
import { ConfigError, formatPath } from './config-error.js';
import type { ConfigFile } from './file-schema.js';

/**
 * Checks what the schema cannot see field by field: unique names, principal ids whose issuer is
 * configured, each principal in at most one alias group, and no loop in the owner chains.
 */
export function checkReferences(file: ConfigFile): void {
  uniqueNames(file.auth.issuers, ['auth', 'issuers']);
  uniqueNames(file.policy.roles, ['policy', 'roles']);
  const known = knownPrincipals(file);

  for (const [nhi, owner] of Object.entries(file.owners)) {
    known(nhi, ['owners', nhi]);
    known(owner, ['owners', nhi]);
    if (principalKind(nhi) === 'service_account') {
      throw new ConfigError(
        formatPath(['owners', nhi]),
        `${nhi}: a service account's owner is set when it is created (POST /v1/service-accounts), not in config`,
      );
    }
  }
  for (const id of Object.keys(file.directory)) known(id, ['directory', id]);
  for (const id of Object.keys(file.emails)) known(id, ['emails', id]);
  checkAliases(file.aliases, known);
  checkSelector(file.policy.admins, ['policy', 'admins'], known);
  file.policy.roles.forEach((role, i) => {
    checkSelector(role.requesters, ['policy', 'roles', i, 'requesters'], known);
    checkSelector(role.approvers, ['policy', 'roles', i, 'approvers'], known);
  });
  for (const [user, id] of Object.entries(file.slack?.users ?? {})) {
    known(id, ['slack', 'users', user]);
  }
  const web = file.auth.web;
  const signInIssuer = web && file.auth.issuers.find((issuer) => issuer.name === web.issuer);
  if (web && signInIssuer?.kind !== 'oidc') {
    throw new ConfigError(
      'auth.web.issuer',
      `no configured OpenID issuer is named "${web.issuer}"`,
    );
  }
  if (web && signInIssuer?.kind === 'oidc') {
    checkIdTokensAreNotApiTokens(file, signInIssuer.issuer, web.clientId);
  }
  const graph = checkOwnership(file);
  file.policy.approverBots.forEach((id, i) => {
    const path = ['policy', 'approverBots', i];
    known(id, path);
    if (!graph.isNonHuman(id)) {
      throw new ConfigError(
        formatPath(path),
        `${id} is a person (no owner, not spiffe: or local:): only non-human principals are listed here`,
      );
    }
  });
}

/**
 * Which principal ids the config may name: `<issuer>:<sub>` of a configured OpenID issuer,
 * `spiffe:<SPIFFE ID>` of a configured trust domain, `local:<name>` of a (possible) service
 * account. Issuer names are checked here too: the two reserved prefixes name no OpenID issuer,
 * and each trust domain has one issuer.
 */
function knownPrincipals(file: ConfigFile): Known {
  const oidcIssuers = new Set<string>();
  const trustDomains = new Set<string>();
  file.auth.issuers.forEach((issuer, i) => {
    const path = formatPath(['auth', 'issuers', i]);
    if (
      issuer.name === SERVICE_ACCOUNT_PREFIX ||
      (issuer.kind === 'oidc' && issuer.name === WORKLOAD_PREFIX)
    ) {
      throw new ConfigError(
        `${path}.name`,
        `"${issuer.name}" is reserved for ${issuer.name}: principal ids`,
      );
    }
    if (issuer.kind === 'oidc') {
      oidcIssuers.add(issuer.name);
    } else if (trustDomains.has(issuer.trustDomain)) {
      throw new ConfigError(
        `${path}.trustDomain`,
        `trust domain "${issuer.trustDomain}" is configured twice`,
      );
    } else {
      trustDomains.add(issuer.trustDomain);
    }
  });
  return (id, path) => {
    const prefix = id.slice(0, id.indexOf(':'));
    const rest = id.slice(prefix.length + 1);
    const problem = (message: string) => new ConfigError(formatPath(path), `${id}: ${message}`);
    switch (principalKind(id)) {
      case 'workload': {
        const spiffeId = parseSpiffeId(rest);
        if (!spiffeId) throw problem('not a valid SPIFFE ID after "spiffe:"');
        if (!trustDomains.has(spiffeId.trustDomain)) {
          throw problem(`no spiffe issuer has the trust domain "${spiffeId.trustDomain}"`);
        }
        return;
      }
      case 'service_account':
        if (!SERVICE_ACCOUNT_NAME.test(rest)) throw problem(`not a valid service account name`);
        return;
      case 'issuer':
        if (!oidcIssuers.has(prefix)) throw problem(`no configured issuer is named "${prefix}"`);
        return;
    }
  };
}

/**
 * An ID token's `aud` is the web sign-in's `clientId`. Were that also an API audience of the same
 * issuer, every ID token (handed to the browser, logged by proxies, sent to other relying parties
 * of the same client) would be a bearer token for the API: so no issuer entry with the sign-in
 * issuer's URL may take the clientId as its audience.
 */
function checkIdTokensAreNotApiTokens(file: ConfigFile, issuerUrl: string, clientId: string) {
  file.auth.issuers.forEach((issuer, i) => {
    if (issuer.kind === 'oidc' && issuer.issuer === issuerUrl && issuer.audience === clientId) {
      throw new ConfigError(
        formatPath(['auth', 'issuers', i, 'audience']),
        `equals auth.web.clientId "${clientId}": ID tokens would be accepted as API tokens; give the API its own audience`,
      );
    }
  });
}

function uniqueNames(items: readonly { name: string }[], path: PropertyKey[]): Set<string> {
  const seen = new Set<string>();
  items.forEach(({ name }, i) => {
    if (seen.has(name)) {
      throw new ConfigError(formatPath([...path, i, 'name']), `duplicate name "${name}"`);
    }
    seen.add(name);
  });
  return seen;
}

type Known = (id: string, path: PropertyKey[]) => void;

function checkAliases(aliases: readonly (readonly string[])[], known: Known): void {
  const groupOf = new Map<string, number>();
  aliases.forEach((group, i) =>
    group.forEach((id, j) => {
      known(id, ['aliases', i, j]);
      const earlier = groupOf.get(id);
      if (earlier !== undefined) {
        const where = earlier === i ? 'this group' : `aliases[${earlier}]`;
        throw new ConfigError(formatPath(['aliases', i, j]), `${id} already appears in ${where}`);
      }
      groupOf.set(id, i);
    }),
  );
}

function checkSelector(selector: Selector, path: PropertyKey[], known: Known): void {
  selector.principals?.forEach((id, j) => known(id, [...path, 'principals', j]));
}

function checkOwnership(file: ConfigFile): IdentityGraph {
  try {
    return IdentityGraph.build(file.owners, file.aliases);
  } catch (error) {
    if (error instanceof OwnershipCycleError) throw new ConfigError('owners', error.message);
    throw error;
  }
}
