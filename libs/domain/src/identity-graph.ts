/**
 * Who is linked to whom through aliases and ownership (API.md §2 rule 4).
 *
 * Every principal is reduced to its alias class (one person's accounts at several issuers); its
 * "reach" is that class plus the classes of every owner up its chain. Two distinct principals are
 * linked when their reaches meet: one owns the other (the owner's class is in the other's reach),
 * they share an owner (a common class), or they are aliases (the same class).
 */
export class IdentityGraph {
  private readonly aliasClass: ReadonlyMap<string, string>;
  /** Alias class -> the alias classes of its declared owners (several when its aliases differ). */
  private readonly ownerClasses = new Map<string, Set<string>>();

  private constructor(
    owners: ReadonlyMap<string, string>,
    aliases: readonly (readonly string[])[],
  ) {
    this.aliasClass = IdentityGraph.aliasClasses(aliases);
    for (const [nhi, owner] of owners) {
      const cls = this.classOf(nhi);
      const set = this.ownerClasses.get(cls) ?? new Set<string>();
      set.add(this.classOf(owner));
      this.ownerClasses.set(cls, set);
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

  /** "The same person" is transitive: entries sharing an id merge into one class. */
  private static aliasClasses(aliases: readonly (readonly string[])[]): Map<string, string> {
    const classes = new Map<string, string>();
    for (const group of aliases) {
      const members = new Set(group);
      const merged = new Set(group.map((id) => classes.get(id)).filter((c) => c !== undefined));
      for (const [id, cls] of classes) if (merged.has(cls)) members.add(id);
      const representative = [...members].sort()[0];
      for (const id of members) classes.set(id, representative);
    }
    return classes;
  }

  private classOf(id: string): string {
    return this.aliasClass.get(id) ?? id;
  }

  /** The alias classes of a principal and of every owner up its chains. */
  reach(id: string): Set<string> {
    const seen = new Set<string>();
    const path = new Set<string>();
    const visit = (cls: string): void => {
      if (path.has(cls)) throw new OwnershipCycleError(id);
      if (seen.has(cls)) return;
      seen.add(cls);
      path.add(cls);
      for (const owner of this.ownerClasses.get(cls) ?? []) visit(owner);
      path.delete(cls);
    };
    visit(this.classOf(id));
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
}

export class OwnershipCycleError extends Error {
  constructor(readonly principal: string) {
    super(`ownership cycle through ${principal}`);
    this.name = 'OwnershipCycleError';
  }
}
