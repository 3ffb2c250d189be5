import { randomUUID } from 'node:crypto';
import type {
  GrantEndsSoon,
  GrantsEnded,
  PolicyState,
  RequestChange,
  RequestNotifier,
} from '#access';
import type { Clock } from '#domain';
import type { NotificationOutbox, PrincipalGroupsRepository, Tx } from '#persistence';
import {
  AccessRequestRow,
  NotificationRow,
  PrincipalEmailRow,
  runAfterCommit,
  runBeforeCommit,
} from '#persistence';
import { In } from 'typeorm';
import type { Reach } from './outbox-plan.js';
import { ApproversAsked } from './approvers-asked.js';
import { ASKING_KINDS, OUTCOME_KINDS, planNotifications } from './outbox-plan.js';
import { idempotencyKey, outcomeAudience, slackUsersByPrincipal } from './recipients.js';

/** The channels configured: Slack's request channel and users, and whether email is on. */
export interface OutboxChannels {
  slack?: { channel: string; users: Readonly<Record<string, string>> };
  email: boolean;
}

/** One change as the outbox sees it: a request's, or a grant's end. */
interface Change {
  requestId: string;
  grantId?: string;
  kind: string;
  actor: string;
  detail?: string;
  occasion?: string;
}

/** A change owed notifications, with whom it asks for a decision and who hears its outcome. */
interface Owed {
  change: Change;
  asking: boolean;
  approvers: readonly string[];
  audience: readonly string[];
}

const STATE_KEY = 'notification-outbox';

/**
 * Writes the notifications each change owes into the outbox (docs/notifications.md), in the
 * change's own transaction, just before it commits: they commit with it or not at all. Recipients
 * are chosen there, under the policy in force; the text is rendered at delivery. After commit the
 * dispatcher is woken (`wake`), so delivery starts at once; its polling is the backstop.
 */
export class OutboxWriter implements RequestNotifier {
  private readonly slackUsers: Map<string, string[]>;
  private readonly asked: ApproversAsked;

  constructor(
    private readonly outbox: NotificationOutbox,
    groupsSeen: PrincipalGroupsRepository,
    private readonly policy: PolicyState,
    private readonly clock: Clock,
    private readonly channels: OutboxChannels,
    private readonly wake: () => void,
  ) {
    this.slackUsers = slackUsersByPrincipal(channels.slack?.users ?? {});
    this.asked = new ApproversAsked(groupsSeen, policy);
  }

  requestChanged(tx: Tx, change: RequestChange): void {
    this.changesOf(tx).push({
      requestId: change.requestId,
      kind: change.kind,
      actor: change.actor,
      ...(change.reason === undefined ? {} : { detail: change.reason }),
      ...(change.occasion === undefined ? {} : { occasion: change.occasion }),
    });
  }

  /** The warning that a grant ends soon: once per end (its instant is the occasion and detail). */
  grantEnding(tx: Tx, ending: GrantEndsSoon): void {
    const endsAt = ending.endsAt.toISOString();
    this.changesOf(tx).push({
      requestId: ending.grant.requestId,
      grantId: ending.grant.id,
      kind: 'grant_ending',
      actor: 'system',
      detail: endsAt,
      occasion: endsAt,
    });
  }

  grantsEnded(tx: Tx, ended: GrantsEnded): void {
    const changes = this.changesOf(tx);
    for (const grant of ended.grants) {
      changes.push({
        requestId: grant.requestId,
        grantId: grant.id,
        kind: `grant_${ended.status}`,
        actor: ended.actor,
      });
    }
  }

  private changesOf(tx: Tx): Change[] {
    const changes = runBeforeCommit(
      tx,
      STATE_KEY,
      () => {
        runAfterCommit(tx, () => this.wake());
        return [] as Change[];
      },
      (pending) => this.write(tx, pending),
    );
    // Every use case runs in a UnitOfWork; a change outside one would lose its notifications.
    if (!changes) throw new Error('a change was reported outside a UnitOfWork transaction');
    return changes;
  }

  /**
   * The rows the transaction's changes owe. What is read for them is read once for all of them
   * (the requests, who can be reached, the approver DMs to update): an expiry batch reports
   * thousands of ended grants in one transaction, which holds their locks until it commits.
   */
  private async write(tx: Tx, changes: readonly Change[]): Promise<void> {
    const requests = await this.requestsOf(tx, changes);
    const owed: Owed[] = [];
    for (const change of changes) {
      const request = requests.get(change.requestId);
      // Break-glass has alerts of its own (BreakGlassNotifier).
      if (!request || request.breakGlass) continue;
      const asking = ASKING_KINDS.has(change.kind);
      owed.push({
        change,
        asking,
        approvers: asking ? await this.asked.of(tx, request, change.kind) : [],
        audience: OUTCOME_KINDS.has(change.kind) ? outcomeAudience(request) : [],
      });
    }
    const people = new Set(owed.flatMap((one) => [...one.approvers, ...one.audience]));
    const reach = await this.reachOf(tx, [...people]);
    const updated = owed.filter((one) => !one.asking).map((one) => one.change.requestId);
    const approverDms =
      updated.length > 0 ? await this.outbox.approverDms(tx, updated) : new Map<string, string[]>();
    const now = this.clock.now();
    const rows = owed.flatMap((one) =>
      this.rowsFor(one, reach, approverDms.get(one.change.requestId) ?? [], now),
    );
    await this.outbox.insert(tx, rows);
  }

  private async requestsOf(tx: Tx, changes: readonly Change[]) {
    const ids = [...new Set(changes.map((change) => change.requestId))];
    const found = new Map<string, AccessRequestRow>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await tx.find(AccessRequestRow, { where: { id: In(ids.slice(i, i + 500)) } });
      for (const row of rows) found.set(row.id, row);
    }
    return found;
  }

  private rowsFor(
    { change, approvers, audience }: Owed,
    reach: ReadonlyMap<string, Reach>,
    approverDms: readonly string[],
    now: Date,
  ): NotificationRow[] {
    const drafts = planNotifications({
      kind: change.kind,
      ...(this.channels.slack ? { channel: this.channels.slack.channel } : {}),
      approvers: new Map(approvers.map((id) => [id, reach.get(id)!])),
      approverDms,
      audience: new Map(audience.map((id) => [id, reach.get(id)!])),
    });
    return drafts.map((draft) =>
      Object.assign(new NotificationRow(), {
        id: randomUUID(),
        idempotencyKey: idempotencyKey({ ...change, ...draft }),
        ...draft,
        kind: change.kind,
        requestId: change.requestId,
        grantId: change.grantId ?? null,
        actor: change.actor,
        detail: change.detail ?? null,
        attempts: 0,
        nextAttemptAt: now,
        leaseUntil: null,
        createdAt: now,
        sentAt: null,
        failedAt: null,
        lastError: null,
      }),
    );
  }

  private async reachOf(tx: Tx, principals: readonly string[]): Promise<Map<string, Reach>> {
    const claimed = new Set<string>();
    const unnamed = principals.filter((id) => this.policy.emailOf(id) === undefined);
    for (let i = 0; this.channels.email && i < unnamed.length; i += 500) {
      const batch = unnamed.slice(i, i + 500);
      const rows = await tx.find(PrincipalEmailRow, { where: { principal: In(batch) } });
      for (const row of rows) claimed.add(row.principal);
    }
    return new Map(
      principals.map((id) => [
        id,
        {
          slack: this.slackUsers.get(id) ?? [],
          email: this.channels.email && (this.policy.emailOf(id) !== undefined || claimed.has(id)),
        },
      ]),
    );
  }
}
