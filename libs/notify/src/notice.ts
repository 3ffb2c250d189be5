import type { GrantView, RequestView } from '#access';
import { formatDuration } from '#domain';

/** What a notification is about, as committed when it is delivered. */
export interface NoticeFacts {
  kind: string;
  /** Who made the change. */
  actor: string;
  /** A denial's reason. */
  detail?: string | null;
  request: RequestView;
  grant?: GrantView;
  /** The request's web page. */
  link: string;
}

/**
 * A message in plain words, before any channel's markup: each line and the quote are raw text
 * (user-supplied values included) that the channel escapes as a whole (email HTML, Slack mrkdwn).
 * No line ever carries a credential: only ids, names, times and the deny reason.
 */
export interface Notice {
  subject: string;
  lines: string[];
  /** The justification, shown quoted. */
  quote?: { label: string; text: string };
  action: string;
  link: string;
}

const describe = (request: RequestView) =>
  `${request.role} on ${request.intent?.resource ?? request.resource}`;

/** Opening words of the message asking for a decision: new, escalated to you, or a reminder. */
const ASKING_WORDS: Record<string, { subject: string; line?: (request: RequestView) => string }> = {
  created: { subject: 'Approval needed' },
  escalated: {
    subject: 'Escalated to you: approval needed',
    line: (request) =>
      `It has waited for a decision since ${request.createdAt}; you were added as an approver.`,
  },
  reminded: {
    subject: 'Reminder: approval needed',
    line: (request) => `It has waited for a decision since ${request.createdAt}.`,
  },
};

/** The message asking an approver for a decision (a new request, an escalation, a reminder). */
export function askingNotice(facts: NoticeFacts): Notice {
  const { request } = facts;
  const words = ASKING_WORDS[facts.kind] ?? ASKING_WORDS.created;
  const asks = request.extends
    ? `${request.requester} asks to extend grant ${request.extends} (${describe(request)}) by ` +
      `${formatDuration(request.duration)}`
    : `${request.requester} asks for ${describe(request)} for ${formatDuration(request.duration)}`;
  return {
    subject: `${words.subject}: ${request.extends ? 'extension of ' : ''}${request.role} for ${request.requester}`,
    lines: [
      asks + (request.recipient === request.requester ? '.' : `, for ${request.recipient}.`),
      ...(words.line ? [words.line(request)] : []),
      `${request.approvals.length} of ${request.approvalsRequired} approvals so far.`,
    ],
    ...(request.justification === undefined
      ? {}
      : { quote: { label: 'Justification', text: request.justification } }),
    action: 'Approve or deny the request',
    link: facts.link,
  };
}

/** The message telling a requester (or a recipient) what became of the request or the grant. */
export function outcomeNotice(facts: NoticeFacts): Notice {
  const { request, grant } = facts;
  const what = describe(request);
  const [subject, line] = outcomeWords(facts, what, grant);
  return { subject, lines: [line], action: 'Open the request', link: facts.link };
}

function outcomeWords(facts: NoticeFacts, what: string, grant?: GrantView): [string, string] {
  const { request } = facts;
  const approvers = request.approvals.map((approval) => approval.approver).join(', ');
  switch (facts.kind) {
    case 'approved':
      return [
        `Approved: ${request.role}`,
        `Your request for ${what} was approved by ${approvers || facts.actor}.`,
      ];
    case 'denied':
      return [
        `Denied: ${request.role}`,
        `Your request for ${what} was denied by ${facts.actor}. ` +
          `Reason: ${facts.detail ?? '(none given)'}`,
      ];
    case 'expired':
      return [
        `Expired: ${request.role}`,
        request.decidedAt === undefined
          ? `Your request for ${what} expired before enough approvers decided.`
          : `Your request for ${what} expired before its credential was collected.`,
      ];
    case 'issued':
      return [
        `Issued: ${request.role}`,
        `A credential for ${what} was issued to ${request.recipient}` +
          (grant ? `; access ends at ${grant.expiresAt}.` : '.'),
      ];
    case 'grant_revoked':
      return [
        `Revoked: ${request.role}`,
        `Access to ${what} was revoked by ${facts.actor}` +
          (grant?.revokedReason ? `. Reason: ${grant.revokedReason}` : '.'),
      ];
    case 'grant_expired':
      return [
        `Ended: ${request.role}`,
        `Access to ${what} ended at ${grant?.expiresAt ?? 'its expiry'}.`,
      ];
    case 'grant_ending':
      return [
        `Ending soon: ${request.role}`,
        `Access to ${what} ends at ${facts.detail ?? grant?.expiresAt ?? 'its expiry'}; ` +
          'ask to extend it if you need more time.',
      ];
    default:
      return [`Update: ${request.role}`, `Your request for ${what} is ${request.status}.`];
  }
}

/**
 * Whether a notification no longer says anything true when it is delivered: a request for a
 * decision (new, escalated, reminder) once the request stopped waiting for one, or a warning that
 * a grant ends once the grant ended or its end moved (an extension is warned about on its own).
 */
export function isStale(facts: NoticeFacts, audience: string): boolean {
  if (audience === 'approver') return facts.request.status !== 'pending';
  if (facts.kind !== 'grant_ending') return false;
  return facts.grant?.status !== 'active' || facts.grant.expiresAt !== facts.detail;
}
