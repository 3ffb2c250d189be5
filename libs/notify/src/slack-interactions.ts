import { z } from 'zod';
import type { DecideRequest, PolicyState, RequestView } from '#access';
import type { AuditLog } from '#audit';
import type { SlackConfig } from '#config';
import type { Clock } from '#domain';
import { DomainError, invalidRequest } from '#domain';
import type { AuthenticatedPrincipal } from '#identity';
import type { UnitOfWork } from '#persistence';
import type { SignedBody } from './slack-signature.js';
import { verifySlackSignature } from './slack-signature.js';
import { slackText } from './slack-text.js';

/** Slack's answer to a click: shown to the clicker only, the channel message left as it is. */
export interface SlackReply {
  response_type: 'ephemeral';
  replace_original: false;
  text: string;
}

const id = z.string().min(1).max(64);

// Not strict: Slack sends many fields we do not use, and adds new ones.
const clickSchema = z.object({
  type: z.literal('block_actions'),
  team: z.object({ id }),
  user: z.object({ id }),
  actions: z.array(z.object({ action_id: id, value: id.optional() })).min(1),
  response_url: z.string().max(1024).optional(),
});

// Slack ignores the HTTP body of a button click's response: the clicker sees our reply only when
// it is posted to the click's response_url. That URL is taken from a signed payload, and only on
// Slack's hooks host (or the configured API's own origin, for Slack-compatible gateways and tests),
// so a click can never make the broker post somewhere else.
const SLACK_HOOKS = 'https://hooks.slack.com/';
const RESPONSE_TIMEOUT_MS = 5000;

// Plain words for the refusals a clicker can meet; others keep the use case's own message
// (approver_linked's names the kind of link, which is what the clicker needs to know).
const REFUSALS: Record<string, string> = {
  self_approval: 'you cannot approve or deny your own request',
  approver_is_recipient: 'you cannot approve or deny a request you would receive',
  not_an_approver: 'you are not an approver of this role',
  role_removed: 'the role no longer exists',
  not_found: 'the request does not exist, or you are not one of its approvers',
};

function reply(text: string): SlackReply {
  return { response_type: 'ephemeral', replace_original: false, text };
}

function refusalText(error: DomainError, webPage: string): string {
  const reason = typeof error.details.reason === 'string' ? error.details.reason : error.code;
  if (reason === 'signature_required') {
    return (
      `Refused (${reason}): this role's approvals are signed with your passkey, which Slack ` +
      `cannot do. Approve on the web page instead: <${webPage}>`
    );
  }
  if (reason === 'admin_reach_unknown') {
    // A click carries no token: who has never shown countersign their groups must decide where
    // a token does (docs/api.md §2 rule 6: unknown admin reach never counts as none).
    return (
      `Refused (${reason}): countersign cannot tell from Slack whether you hold admin reach. ` +
      `Approve on the web page instead: <${webPage}>`
    );
  }
  return `Refused (${slackText(reason)}): ${slackText(REFUSALS[reason] ?? error.message)}.`;
}

function outcomeText(view: RequestView): string {
  const progress = `${view.approvals.length} of ${view.approvalsRequired} approvals`;
  return `Done: request for ${slackText(view.role)} is ${view.status} (${progress}).`;
}

/**
 * Approve and Deny clicks from Slack (docs/api.md §7): a signed request, a clicker mapped by
 * `slack.users`, and then the very use cases the API calls, with the same rules and audit trail.
 * A click carries no token, so the clicker's groups are its `directory` groups only, and its
 * admin reach is judged from the groups it last presented in a token (`AdminReachJudge`).
 */
export class SlackInteractions {
  constructor(
    private readonly slack: SlackConfig,
    private readonly publicUrl: string,
    private readonly decide: DecideRequest,
    private readonly policy: PolicyState,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  async handle(signed: SignedBody): Promise<SlackReply> {
    const raw = verifySlackSignature(signed, this.slack.signingSecret, this.clock.now());
    const click = parseClick(raw);
    const answer = await this.decideClick(click);
    if (click.responseUrl && this.mayRespondTo(click.responseUrl)) {
      void fetch(click.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(answer),
        signal: AbortSignal.timeout(RESPONSE_TIMEOUT_MS),
      }).catch(() => undefined); // best effort: the decision itself is already made and audited
    }
    return answer;
  }

  private mayRespondTo(url: string): boolean {
    if (url.startsWith(SLACK_HOOKS)) return true;
    try {
      return new URL(url).origin === new URL(this.slack.apiUrl).origin;
    } catch {
      return false;
    }
  }

  private async decideClick(click: Click): Promise<SlackReply> {
    const principalId = this.slack.users[`${click.team}/${click.user}`];
    if (principalId === undefined) {
      await this.auditUnmapped(click);
      return reply(
        'Refused (slack_user_unmapped): your Slack account is not linked to a countersign ' +
          'principal. Ask an administrator to add it to slack.users.',
      );
    }
    const approver: AuthenticatedPrincipal = {
      id: principalId,
      groups: this.policy.groupsNow(principalId, []),
      tokenGroups: [],
      tokenGroupsKnown: false,
    };
    try {
      const view =
        click.action === 'approve'
          ? await this.decide.approve(approver, click.requestId, 'approved in Slack')
          : await this.decide.deny(approver, click.requestId, 'denied in Slack');
      return reply(outcomeText(view));
    } catch (error) {
      // Refusals are already audited by the use case; the clicker is told why.
      if (error instanceof DomainError) {
        const webPage = `${this.publicUrl}/requests/${encodeURIComponent(click.requestId)}`;
        return reply(refusalText(error, webPage));
      }
      throw error;
    }
  }

  private async auditUnmapped(click: Click): Promise<void> {
    await this.uow.run((tx) =>
      this.audit.append(tx, {
        type: 'approval.refused',
        actor: `slack:${click.team}/${click.user}`,
        data: {
          action: click.action,
          requestId: click.requestId,
          code: 'forbidden',
          reason: 'slack_user_unmapped',
        },
      }),
    );
  }
}

interface Click {
  team: string;
  user: string;
  action: 'approve' | 'deny';
  requestId: string;
  responseUrl?: string;
}

function parseClick(raw: string): Click {
  const payload = new URLSearchParams(raw).get('payload');
  let json: unknown;
  try {
    json = JSON.parse(payload ?? '');
  } catch {
    throw invalidRequest([{ field: 'payload', message: 'expected a JSON payload' }]);
  }
  const parsed = clickSchema.safeParse(json);
  if (!parsed.success) {
    throw invalidRequest([{ field: 'payload', message: 'not a Slack block_actions payload' }]);
  }
  const [action] = parsed.data.actions;
  if ((action.action_id !== 'approve' && action.action_id !== 'deny') || !action.value) {
    throw invalidRequest([{ field: 'payload.actions', message: 'expected approve or deny' }]);
  }
  return {
    team: parsed.data.team.id,
    user: parsed.data.user.id,
    action: action.action_id,
    requestId: action.value,
    ...(parsed.data.response_url ? { responseUrl: parsed.data.response_url } : {}),
  };
}
