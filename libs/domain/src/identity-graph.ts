import { principalKind } from './principal.js';

/**
 * Who is linked to whom through aliases and ownership (API.md §2 rule 4).
 *
 * Every principal is reduced to its alias class (one person's accounts at several issuers); its
 * "reach" is that class plus the classes of every owner up its chain. Two distinct principals are
 * linked when their reaches meet: one owns the other (the owner's class is in the other's reach),
 * they share an owner (a common class), or they are aliases (the same class).
 *
 * Owners come from the config's `owners` and from service accounts (each owned by a person); the
 * caller merges both before building.
 */
export class IdentityGraph {
  private readonly aliasClass: ReadonlyMap<string, string>;
  /** Alias class -> its members, for classes of more than one id. */
  private readonly members = new Map<string, string[]>();
  /** Alias class -> the alias classes of its declared owners (several when its aliases differ). */
  private readonly ownerClasses = new Map<string, Set<string>>();

  private constructor(
    owners: ReadonlyMap<string, string>,
    aliases: readonly (readonly string[])[],
  ) {
    this.aliasClass = IdentityGraph.aliasClasses(aliases);
    for (const [id, cls] of this.aliasClass)
      this.members.set(cls, [...(this.members.get(cls) ?? []), id]);
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

  private membersOf(cls: string): string[] {
    return this.members.get(cls) ?? [cls];
  }

  /** The alias classes of a principal and of every owner up its chains. */
  reach(id: string): Set<string> {
    const seen = new Set<string>();
    const path: string[] = [];
    const visit = (cls: string): void => {
      const loopsAt = path.indexOf(cls);
      if (loopsAt >= 0) throw new OwnershipCycleError([...path.slice(loopsAt), cls]);
      if (seen.has(cls)) return;
      seen.add(cls);
      path.push(cls);
      for (const owner of this.ownerClasses.get(cls) ?? []) visit(owner);
      path.pop();
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

  /**
   * Non-human: it has an owner, or it is a workload (`spiffe:`) or a service account (`local:`),
   * under any of its aliases. Everyone else counts as a person.
   */
  isNonHuman(id: string): boolean {
    const cls = this.classOf(id);
    if ((this.ownerClasses.get(cls)?.size ?? 0) > 0) return true;
    return this.membersOf(cls).some((member) => principalKind(member) !== 'issuer');
  }
}

export class OwnershipCycleError extends Error {
  /** `cycle` runs from a principal through its owners back to itself. */
  constructor(readonly cycle: readonly string[]) {
    super(`ownership cycle: ${cycle.join(' -> ')}`);
    this.name = 'OwnershipCycleError';
  }
}
