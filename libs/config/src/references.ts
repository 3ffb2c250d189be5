import type { Selector } from '#domain';
import { IdentityGraph, OwnershipCycleError } from '#domain';
import { ConfigError, formatPath } from './config-error.js';
import type { ConfigFile } from './file-schema.js';

/**
 * Checks what the schema cannot see field by field: unique names, principal ids whose issuer is
 * configured, each principal in at most one alias group, and no loop in the owner chains.
 */
export function checkReferences(file: ConfigFile): void {
  const issuers = uniqueNames(file.auth.issuers, ['auth', 'issuers']);
  uniqueNames(file.policy.roles, ['policy', 'roles']);
  const known = (id: string, path: PropertyKey[]): void => {
    const issuer = id.slice(0, id.indexOf(':'));
    if (!issuers.has(issuer)) {
      throw new ConfigError(formatPath(path), `${id}: no configured issuer is named "${issuer}"`);
    }
  };

  for (const [nhi, owner] of Object.entries(file.owners)) {
    known(nhi, ['owners', nhi]);
    known(owner, ['owners', nhi]);
  }
  for (const id of Object.keys(file.directory)) known(id, ['directory', id]);
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
  if (web && !issuers.has(web.issuer)) {
    throw new ConfigError('auth.web.issuer', `no configured issuer is named "${web.issuer}"`);
  }
  checkOwnership(file);
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

function checkOwnership(file: ConfigFile): void {
  try {
    IdentityGraph.build(file.owners, file.aliases);
  } catch (error) {
    if (error instanceof OwnershipCycleError) throw new ConfigError('owners', error.message);
    throw error;
  }
}
