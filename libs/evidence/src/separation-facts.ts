import type { EvidenceBundle, EvidenceSeparation } from './bundle.js';
import { partiesOf } from './bundle.js';

/** The kind of link between two parties as the bundle states it, if separation counts it. */
export type LinkLookup = (a: string, b: string) => string | undefined;

/**
 * The links that count offline: all of them under `separation: strict`, none otherwise. In
 * `identity` mode the broker still counts the links of non-human identities, but the bundle does
 * not say who is non-human, so an offline verifier cannot tell those links apart.
 */
export function linkLookup(separation: EvidenceSeparation): LinkLookup {
  const kinds = new Map<string, string>(
    separation.links.map((link) => [pairKey(...link.between), link.kind]),
  );
  return (a, b) => (separation.mode === 'strict' && a !== b ? kinds.get(pairKey(a, b)) : undefined);
}

/**
 * Separation of duties for one approval, offline (docs/api.md §2 rules 1-5, docs/identity.md): the
 * approver is none of the parties and no earlier approver, and is linked neither to the requester
 * or the recipient nor to an earlier approver (one approval per person).
 */
export function approverSeparationProblem(
  request: Pick<EvidenceBundle['request'], 'requester' | 'recipient' | 'act'>,
  earlierApprovers: readonly string[],
  approver: string,
  linkOf: LinkLookup,
): string | undefined {
  if ([request.requester, request.recipient, request.act].includes(approver))
    return 'approver is the requester, the recipient or the agent acting for it';
  if (earlierApprovers.includes(approver)) return 'approver counted twice';
  const toParty = linkOf(approver, request.requester) ?? linkOf(approver, request.recipient);
  if (toParty) return `approver linked to the requester or the recipient (${toParty})`;
  for (const earlier of earlierApprovers) {
    const kind = linkOf(approver, earlier);
    if (kind) return `approver linked to an earlier approver (${kind})`;
  }
  return undefined;
}

/**
 * The separation facts speak of this request's parties only, in their one order: each link joins
 * two distinct parties (the pair sorted, pairs sorted, each once), each key holder is listed for a
 * service-account party, and a key holder who is a party is linked to that account.
 */
export function separationFactsProblems(bundle: EvidenceBundle): string[] {
  const { links, keyHolders } = bundle.separation;
  const approvers = bundle.approvals.map((approval) => approval.approver);
  const parties = new Set(partiesOf(bundle.request, approvers));
  const problems: string[] = [];
  let previous: readonly [string, string] | undefined;
  for (const { between } of links) {
    const [a, b] = between;
    const name = `link ${JSON.stringify(between)}`;
    if (!parties.has(a) || !parties.has(b)) problems.push(`${name} names a non-party`);
    if (!(a < b)) problems.push(`${name} is not a sorted pair of two ids`);
    if (previous && !(previous[0] < a || (previous[0] === a && previous[1] < b)))
      problems.push(`${name} out of order or repeated`);
    previous = between;
  }
  const linked = new Set(links.map((link) => pairKey(...link.between)));
  for (const [account, holder] of Object.entries(keyHolders)) {
    if (!parties.has(account)) problems.push(`key holder of ${account}, not a party`);
    else if (parties.has(holder) && !linked.has(pairKey(account, holder)))
      problems.push(`the key holder of ${account} is a party but not linked to it`);
  }
  return problems;
}

const pairKey = (a: string, b: string): string => JSON.stringify(a < b ? [a, b] : [b, a]);
