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
