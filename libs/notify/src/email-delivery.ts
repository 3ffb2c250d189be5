import type { Transporter } from 'nodemailer';
import nodemailer from 'nodemailer';
import type { PolicyState } from '#access';
import type { EmailConfig } from '#config';
import type { NotificationRow, UnitOfWork } from '#persistence';
import { PrincipalEmailRow } from '#persistence';
import { emailMessage } from './email-message.js';
import { askingNotice, isStale, outcomeNotice } from './notice.js';
import type { NoticeFactsReader } from './notice-facts.js';
import type { ChannelSender, SendRecord } from './outbox-dispatcher.js';
import { PermanentFailure } from './outbox-dispatcher.js';

const TIMEOUT_MS = 10_000;

/**
 * Email over SMTP (docs/notifications.md): to an approver while its decision is needed, to the
 * requester on each outcome. The address is looked up at delivery: the config's `emails`, else the
 * `email` claim last seen in a verified token; none is a permanent failure. The Message-ID is
 * derived from the notification's idempotency key, so a message sent twice (a crash between the
 * send and its record) is one message to every mail system that deduplicates by it.
 */
export class EmailDelivery implements ChannelSender {
  private readonly transport: Transporter;
  private readonly domain: string;

  constructor(
    private readonly config: EmailConfig,
    private readonly uow: UnitOfWork,
    private readonly facts: NoticeFactsReader,
    private readonly policy: PolicyState,
    publicUrl: string,
  ) {
    this.transport = nodemailer.createTransport({
      url: config.smtp,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
    });
    this.domain = new URL(publicUrl).hostname;
  }

  async send(row: NotificationRow): Promise<SendRecord> {
    const facts = await this.facts.read(row);
    if (!facts || facts.request.breakGlass) return undefined;
    const asking = row.audience === 'approver';
    // An approver is asked only while the request waits for a decision; a grant's end warned of
    // only while it still ends then.
    if (isStale(facts, row.audience)) return undefined;
    const to = await this.addressOf(row.recipient);
    if (to === undefined) throw new PermanentFailure('no_address');
    const message = emailMessage(asking ? askingNotice(facts) : outcomeNotice(facts));
    try {
      await this.transport.sendMail({
        from: this.config.from,
        to,
        ...message,
        messageId: `<${row.idempotencyKey}@${this.domain}>`,
      });
    } catch (error) {
      const code = (error as { responseCode?: unknown }).responseCode;
      // 5xx: the server refuses this message for good (no such mailbox, policy).
      if (typeof code === 'number' && code >= 500) throw new PermanentFailure(`SMTP ${code}`);
      throw error;
    }
    return undefined;
  }

  private async addressOf(principal: string): Promise<string | undefined> {
    const configured = this.policy.emailOf(principal);
    if (configured !== undefined) return configured;
    const seen = await this.uow.read((db) => db.findOneBy(PrincipalEmailRow, { principal }));
    return seen?.email;
  }
}
