import type { NotificationAudience, NotificationChannel } from '#persistence';

/** How a principal can be reached: its Slack users (mapped in `slack.users`), and email or not. */
export interface Reach {
  slack: readonly string[];
  email: boolean;
}

/** A change worth telling someone about, with who can be reached. */
export interface PlanInput {
  kind: string;
  /** The Slack channel of request messages, when Slack is configured and the request has one. */
  channel?: string;
  /** Approvers whose decision is now needed (only for kinds that ask for one). */
  approvers: ReadonlyMap<string, Reach>;
  /** Slack users already sent a DM about the request, whose DMs show its state. */
  approverDms: readonly string[];
  /** Who hears the request's outcome (only for outcome kinds). */
  audience: ReadonlyMap<string, Reach>;
}

export interface NotificationDraft {
  channel: NotificationChannel;
  audience: NotificationAudience;
  recipient: string;
}

/**
 * Kinds that ask approvers for a decision, a DM and an email each: a new request (its approvers),
 * an escalation (those it adds), a reminder (the approvers still needed).
 */
export const ASKING_KINDS: ReadonlySet<string> = new Set(['created', 'escalated', 'reminded']);

/** Kinds that change nothing a request's messages show: the channel and DMs are left alone. */
export const QUIET_KINDS: ReadonlySet<string> = new Set(['reminded', 'grant_ending']);

/** Kinds the requester (and a different recipient) is told of: a DM and an email each. */
export const OUTCOME_KINDS: ReadonlySet<string> = new Set([
  'approved',
  'denied',
  'expired',
  'issued',
  'grant_revoked',
  'grant_expired',
  'grant_ending',
]);

/**
 * The notifications a change owes (docs/notifications.md): the channel message (posted at
 * creation, updated after each change); approvers' DMs and emails when a decision is asked of them
 * (a new request, an escalation, a reminder), their DMs updated on every later change; the
 * requester's DM and email on each outcome and before a grant ends. Reminders and end warnings
 * leave the channel message and the approvers' DMs as they are.
 */
export function planNotifications(input: PlanInput): NotificationDraft[] {
  const drafts: NotificationDraft[] = [];
  const quiet = QUIET_KINDS.has(input.kind);
  if (input.channel !== undefined && !quiet) {
    drafts.push({ channel: 'slack-channel', audience: 'channel', recipient: input.channel });
  }
  if (ASKING_KINDS.has(input.kind)) {
    drafts.push(...reachOut(input.approvers, 'approver'));
  } else if (!quiet) {
    for (const slackUser of input.approverDms) {
      drafts.push({ channel: 'slack-dm', audience: 'approver', recipient: slackUser });
    }
  }
  if (OUTCOME_KINDS.has(input.kind)) drafts.push(...reachOut(input.audience, 'requester'));
  return drafts;
}

function reachOut(
  people: ReadonlyMap<string, Reach>,
  audience: NotificationAudience,
): NotificationDraft[] {
  const drafts: NotificationDraft[] = [];
  for (const [principal, reach] of people) {
    for (const slackUser of reach.slack) {
      drafts.push({ channel: 'slack-dm', audience, recipient: slackUser });
    }
    if (reach.email) drafts.push({ channel: 'email', audience, recipient: principal });
  }
  return drafts;
}
