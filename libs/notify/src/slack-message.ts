import type { KnownBlock } from '@slack/web-api';
import type { RequestChange, RequestView } from '#access';
import { formatDuration } from '#domain';
import type { Notice } from './notice.js';
import { SLACK_FIELD_MAX, quotedSection, slackText } from './slack-text.js';

export interface SlackMessage {
  /** The notification's plain-text fallback. */
  text: string;
  blocks: KnownBlock[];
}

const CHANGE_WORDS: Record<RequestChange['kind'] | 'grant_revoked' | 'grant_expired', string> = {
  created: 'Requested by',
  approval_recorded: 'Approval recorded by',
  approved: 'Approved by',
  denied: 'Denied by',
  cancelled: 'Cancelled by',
  expired: 'Expired',
  issued: 'Credential issued to',
  grant_revoked: 'Access revoked by',
  grant_expired: 'Access ended at its expiry',
  escalated: 'Escalated: more approvers asked',
  reminded: 'Approvers reminded',
};

/** Changes the system makes on its own: shown without an actor. */
const UNSIGNED = new Set(['expired', 'grant_expired', 'escalated', 'reminded']);

/** The change a message shows last: a request's, or its grant's end. */
export interface ShownChange {
  kind: string;
  actor: string;
}

/**
 * A mrkdwn text object: ours, with values that went through slackText. `verbatim` stops Slack's
 * own preprocessing (bare URLs, `#channel`, `@here`); our `<url|label>` links still work.
 */
function mrkdwn(text: string) {
  return { type: 'mrkdwn' as const, text, verbatim: true };
}

function field(label: string, value: string) {
  const max = SLACK_FIELD_MAX - label.length - 3;
  return mrkdwn(`*${label}*\n${slackText(value, { max })}`);
}

function lastChange(change: ShownChange): string {
  const words = CHANGE_WORDS[change.kind as keyof typeof CHANGE_WORDS] ?? 'Changed by';
  return UNSIGNED.has(change.kind) ? words : `${words} ${slackText(change.actor, { max: 512 })}`;
}

/**
 * The message announcing a request (docs/api.md §7), rendered from its committed state: posted at
 * creation, then rendered again and updated in place on every later change. Buttons only while
 * the request is pending; the broker refuses a requester's or recipient's click whatever it shows.
 */
export function requestMessage(
  view: RequestView,
  change: ShownChange,
  publicUrl: string,
): SlackMessage {
  const link = `${publicUrl}/requests/${view.id}`;
  const approvers = view.approvals.map((a) => a.approver).join(', ');
  const approvals =
    `${view.approvals.length} of ${view.approvalsRequired}` +
    (approvers === '' ? '' : ` (${approvers})`);
  const role = slackText(view.role, { max: 256 });
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: mrkdwn(
        `*${view.extends ? 'Extension request' : 'Access request'}: ${role}* is *${view.status}*`,
      ),
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
        ...(view.extends ? [field('Extends grant', view.extends)] : []),
        field(view.extends ? 'More time' : 'Duration', formatDuration(view.duration)),
        field('Approvals', approvals),
      ],
    },
    { type: 'section', text: mrkdwn(quotedSection('Justification', view.justification)) },
    {
      type: 'context',
      elements: [mrkdwn(`${lastChange(change)} · <${link}|Open the request>`)],
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
  // The notification's fallback is mrkdwn too: escaped the same way.
  return withFallback(view, change, blocks);
}

function withFallback(view: RequestView, change: ShownChange, blocks: KnownBlock[]): SlackMessage {
  const requester = slackText(view.requester, { max: 512 });
  const role = slackText(view.role, { max: 256 });
  const text = `Access request ${role} by ${requester}: ${view.status}. ${lastChange(change)}.`;
  return { text, blocks };
}

/**
 * A notice (an outcome for a requester) as a Slack message: every line escaped whole, the
 * justification quoted, one link to the request's page.
 */
export function noticeMessage(notice: Notice): SlackMessage {
  const blocks: KnownBlock[] = [
    { type: 'section', text: mrkdwn(`*${slackText(notice.subject, { max: 256 })}*`) },
    {
      type: 'section',
      text: mrkdwn(notice.lines.map((line) => slackText(line, { max: 1000 })).join('\n')),
    },
  ];
  if (notice.quote) {
    blocks.push({
      type: 'section',
      text: mrkdwn(quotedSection(notice.quote.label, notice.quote.text)),
    });
  }
  blocks.push({
    type: 'context',
    elements: [mrkdwn(`<${notice.link}|${slackText(notice.action, { max: 128 })}>`)],
  });
  return { text: slackText(notice.subject, { max: 256 }), blocks };
}
