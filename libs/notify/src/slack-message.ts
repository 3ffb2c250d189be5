import type { KnownBlock } from '@slack/web-api';
import type { RequestChange, RequestView } from '#access';
import { formatDuration } from '#domain';

export interface SlackMessage {
  /** The notification's plain-text fallback. */
  text: string;
  blocks: KnownBlock[];
}

const CHANGE_WORDS: Record<RequestChange['kind'], string> = {
  created: 'Requested by',
  approval_recorded: 'Approval recorded by',
  approved: 'Approved by',
  denied: 'Denied by',
  cancelled: 'Cancelled by',
  expired: 'Expired',
  issued: 'Credential issued to',
};

/** Slack's mrkdwn control characters; escaping them also disarms `<!channel>` style mentions. */
/** Slack mrkdwn control characters: user text never becomes markup or a link. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function field(label: string, value: string) {
  return { type: 'mrkdwn' as const, text: `*${label}*\n${escapeMrkdwn(value)}` };
}

function lastChange(change: RequestChange): string {
  const words = CHANGE_WORDS[change.kind];
  return change.kind === 'expired' ? words : `${words} ${escapeMrkdwn(change.actor)}`;
}

/**
 * The message announcing a request (API.md §7), rendered from its committed state: posted at
 * creation, then rendered again and updated in place on every later change. Buttons only while
 * the request is pending; the broker refuses a requester's or recipient's click whatever it shows.
 */
export function requestMessage(
  view: RequestView,
  change: RequestChange,
  publicUrl: string,
): SlackMessage {
  const link = `${publicUrl}/requests/${view.id}`;
  const approvers = view.approvals.map((a) => a.approver).join(', ');
  const approvals =
    `${view.approvals.length} of ${view.approvalsRequired}` +
    (approvers === '' ? '' : ` (${approvers})`);
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Access request: ${escapeMrkdwn(view.role)}* is *${view.status}*`,
      },
    },
    {
      type: 'section',
      fields: [
        field('Role', view.role),
        field('Resource', view.resource),
        ...(view.intent
          ? [field('Narrowed to', `${view.intent.actions.join(', ')} on ${view.intent.resource}`)]
          : []),
        field('Requester', view.requester),
        field('Recipient', view.recipient),
        field('Duration', formatDuration(view.duration)),
        field('Approvals', approvals),
      ],
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Justification*\n${escapeMrkdwn(view.justification ?? '(none)')}`,
      },
    },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `${lastChange(change)} · <${link}|Open the request>` }],
    },
  ];
  if (view.status === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: 'decision',
      elements: [
        {
          type: 'button',
          action_id: 'approve',
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: view.id,
        },
        {
          type: 'button',
          action_id: 'deny',
          style: 'danger',
          text: { type: 'plain_text', text: 'Deny' },
          value: view.id,
        },
      ],
    });
  }
  const text = `Access request ${view.role} by ${view.requester}: ${view.status}. ${lastChange(change)}.`;
  return { text, blocks };
}
