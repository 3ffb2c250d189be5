import { principalKind } from './principal.js';

/**
 * How two identifiers turn out to be one person (or one person's tools), strongest first: one
 * person's accounts (`alias`), one owning the other (`ownership`), two tools of one owner
 * (`shared_owner`), someone holding a service account's current key (`key_custody`), an agent a
 * person delegated to (`delegation`).
 */
export type LinkKind = 'alias' | 'ownership' | 'shared_owner' | 'key_custody' | 'delegation';

/** Links that are not ownership but still put an identity in someone's hands. */
export interface ControlLinks {
  /** Service account principal -> whoever received its current key (creation or rotation). */
  readonly keyHolders?: Readonly<Record<string, string>>;
  /** Agent -> the people who delegated to it (config `delegations`). */
  readonly delegations?: Readonly<Record<string, readonly string[]>>;
}

type ControlKind = 'key_custody' | 'delegation';
/** How a class was reached from the principal a walk started at. */
type PathKind = 'self' | 'ownership' | ControlKind;

/**
 * Who is linked to whom (docs/api.md §2 rules 4 and 5): separation of duties is about people.
 *
 * Every principal is reduced to its alias class (one person's accounts at several issuers); its
 * "reach" is that class plus the classes of every owner up its chain. Two distinct principals are
 * linked when their reaches meet: one owns the other (the owner's class is in the other's reach),
 * they share an owner (a common class), or they are aliases (the same class). For separation the
 * reach also follows control links: whoever holds a service account's key and whoever delegated
 * to an agent stand where an owner would (docs/identity.md). Ownership alone decides `owns`, which
 * is about whose tools a person may request for.
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
  /** Alias class -> the classes in control of it other than owners, by kind of control. */
  private readonly controllerClasses = new Map<string, Map<string, ControlKind>>();

  private constructor(
    owners: ReadonlyMap<string, string>,
    aliases: readonly (readonly string[])[],
    control: ControlLinks,
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
    for (const [account, holder] of Object.entries(control.keyHolders ?? {}))
      this.addController(account, holder, 'key_custody');
    for (const [agent, people] of Object.entries(control.delegations ?? {}))
      for (const person of people) this.addController(agent, person, 'delegation');
  }

  /** Builds the graph; throws when the owner chain loops (a config error, refused at load). */
  static build(
    owners: Readonly<Record<string, string>>,
    aliases: readonly (readonly string[])[] = [],
    control: ControlLinks = {},
  ): IdentityGraph {
    const graph = new IdentityGraph(new Map(Object.entries(owners)), aliases, control);
    for (const id of Object.keys(owners)) graph.reach(id);
    return graph;
  }

  static empty(): IdentityGraph {
    return new IdentityGraph(new Map(), [], {});
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

  private addController(controlled: string, controller: string, kind: ControlKind): void {
    const cls = this.classOf(controlled);
    const controllerClass = this.classOf(controller);
    if (cls === controllerClass) return;
    const map = this.controllerClasses.get(cls) ?? new Map<string, ControlKind>();
    if (!map.has(controllerClass)) map.set(controllerClass, kind);
    this.controllerClasses.set(cls, map);
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

  /**
   * The reach for separation: owners and controllers up every chain, each class with how it was
   * first reached (a control link anywhere on the way names the path). Breadth first, so the
   * shortest path names the kind; control links may loop, which only ends the walk.
   */
  private controlReach(id: string): Map<string, PathKind> {
    const start = this.classOf(id);
    const reached = new Map<string, PathKind>([[start, 'self']]);
    const queue = [start];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const kind = reached.get(next) ?? 'self';
      const step = (cls: string, edge: PathKind): void => {
        if (reached.has(cls)) return;
        reached.set(cls, kind === 'self' || kind === 'ownership' ? edge : kind);
        queue.push(cls);
      };
      for (const owner of this.ownerClasses.get(next) ?? []) step(owner, 'ownership');
      for (const [controller, edge] of this.controllerClasses.get(next) ?? [])
        step(controller, edge);
    }
    return reached;
  }

  /** How two different principals are linked, or undefined when they are not (nor the same id). */
  linkBetween(a: string, b: string): LinkKind | undefined {
    if (a === b) return undefined;
    const classA = this.classOf(a);
    const classB = this.classOf(b);
    if (classA === classB) return 'alias';
    const reachOfA = this.controlReach(a);
    const reachOfB = this.controlReach(b);
    const aAboveB = reachOfB.get(classA);
    if (aAboveB !== undefined) return aAboveB as LinkKind;
    const bAboveA = reachOfA.get(classB);
    if (bAboveA !== undefined) return bAboveA as LinkKind;
    for (const [cls, kindFromA] of reachOfA) {
      const kindFromB = reachOfB.get(cls);
      if (kindFromB === undefined) continue;
      if (kindFromA === 'ownership' && kindFromB === 'ownership') return 'shared_owner';
      return (kindFromA === 'ownership' ? kindFromB : kindFromA) as LinkKind;
    }
    return undefined;
  }

  /**
   * True when two different principals are one person's: aliases, one owning the other, a shared
   * owner, a held key or a delegation.
   */
  linked(a: string, b: string): boolean {
    return this.linkBetween(a, b) !== undefined;
  }

  /** True when `owner` (or one of its aliases) owns `nhi`, directly or through a chain. */
  owns(owner: string, nhi: string): boolean {
    const ownerClass = this.classOf(owner);
    if (ownerClass === this.classOf(nhi)) return false;
    return this.reach(nhi).has(ownerClass);
  }

  /**
   * Non-human: it has an owner, someone delegated to it (an agent), or it is a workload
   * (`spiffe:`) or a service account (`local:`), under any of its aliases. Everyone else counts
   * as a person.
   */
  isNonHuman(id: string): boolean {
    const cls = this.classOf(id);
    if ((this.ownerClasses.get(cls)?.size ?? 0) > 0) return true;
    const controllers = this.controllerClasses.get(cls);
    if (controllers && [...controllers.values()].includes('delegation')) return true;
    return this.membersOf(cls).some((member) => principalKind(member) !== 'issuer');
  }
}

/** Words for a link, for refusals: the kind only, never the other identity's id. */
export const LINK_WORDS: Readonly<Record<LinkKind, string>> = {
  alias: 'aliases of one person',
  ownership: 'one owns the other',
  shared_owner: 'they share an owner',
  key_custody: 'one holds the key of the other',
  delegation: 'one acts for the other by delegation',
};

export class OwnershipCycleError extends Error {
  /** `cycle` runs from a principal through its owners back to itself. */
  constructor(readonly cycle: readonly string[]) {
    super(`ownership cycle: ${cycle.join(' -> ')}`);
    this.name = 'OwnershipCycleError';
  }
}
