/**
 * Who is linked to whom through aliases and ownership (API.md §2 rule 4).
 *
 * Every principal is reduced to its alias class (one person's accounts at several issuers); its
 * "reach" is that class plus the classes of every owner up its chain. Two distinct principals are
 * linked when their reaches meet: one owns the other (the owner's class is in the other's reach),
 * they share an owner (a common class), or they are aliases (the same class).
 */
export class IdentityGraph {
  private readonly aliasClass = new Map<string, string>();

  private constructor(
    private readonly owners: ReadonlyMap<string, string>,
    aliases: readonly (readonly string[])[],
  ) {
    for (const group of aliases) {
      const representative = [...group].sort()[0];
      for (const id of group) this.aliasClass.set(id, representative);
    }
  }

  /** Builds the graph; throws when the owner chain loops (a config error, refused at load). */
  static build(
    owners: Readonly<Record<string, string>>,
    aliases: readonly (readonly string[])[] = [],
  ): IdentityGraph {
    const graph = new IdentityGraph(new Map(Object.entries(owners)), aliases);
    for (const id of Object.keys(owners)) graph.reach(id);
    return graph;
  }

  static empty(): IdentityGraph {
    return new IdentityGraph(new Map(), []);
  }

  private classOf(id: string): string {
    return this.aliasClass.get(id) ?? id;
  }

  private ownerOfClass(cls: string): string | undefined {
    for (const [nhi, owner] of this.owners) if (this.classOf(nhi) === cls) return owner;
    return undefined;
  }

  /** The alias classes of a principal and of every owner up its chain. */
  reach(id: string): Set<string> {
    const seen = new Set<string>();
    let current: string | undefined = this.classOf(id);
    while (current !== undefined) {
      if (seen.has(current)) throw new OwnershipCycleError(id);
      seen.add(current);
      const owner = this.ownerOfClass(current);
      current = owner === undefined ? undefined : this.classOf(owner);
    }
    return seen;
  }

  /** True when two different principals are aliases, one owns the other, or they share an owner. */
  linked(a: string, b: string): boolean {
    if (a === b) return false;
    const reachOfA = this.reach(a);
    for (const cls of this.reach(b)) if (reachOfA.has(cls)) return true;
    return false;
  }

  /** True when `owner` (or one of its aliases) owns `nhi`, directly or through a chain. */
  owns(owner: string, nhi: string): boolean {
    const ownerClass = this.classOf(owner);
    if (ownerClass === this.classOf(nhi)) return false;
    return this.reach(nhi).has(ownerClass);
  }

  hasOwner(id: string): boolean {
    return this.ownerOfClass(this.classOf(id)) !== undefined;
  }
}

export class OwnershipCycleError extends Error {
  constructor(readonly principal: string) {
    super(`ownership cycle through ${principal}`);
    this.name = 'OwnershipCycleError';
  }
}
