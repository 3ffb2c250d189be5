import type { Logger } from '@slack/web-api';
import { LogLevel, WebClient } from '@slack/web-api';
import type { SlackConfig } from '#config';
import type { SlackMessage } from './slack-message.js';

/** The Slack Web API calls notifications make. */
export interface SlackApi {
  postMessage(channel: string, message: SlackMessage): Promise<{ channel: string; ts: string }>;
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
  /** The direct-message channel with one user (conversations.open). */
  openDirect(user: string): Promise<string>;
}

// The SDK's own logging is silenced: the notifier logs failures itself, without secrets.
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/** @slack/web-api against `slack.apiUrl`; retries are the notifier's, not the SDK's. */
export class WebSlackApi implements SlackApi {
  private readonly client: WebClient;

  constructor(slack: SlackConfig) {
    this.client = new WebClient(slack.botToken, {
      slackApiUrl: slack.apiUrl,
      logger: quiet,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 5000,
      allowAbsoluteUrls: false,
    });
  }

  async postMessage(channel: string, message: SlackMessage) {
    const answer = await this.client.chat.postMessage({ channel, ...message });
    if (answer.channel === undefined || answer.ts === undefined) {
      throw new Error('chat.postMessage answered without channel and ts');
    }
    return { channel: answer.channel, ts: answer.ts };
  }

  async update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    await this.client.chat.update({ channel, ts, ...message });
  }

  async openDirect(user: string): Promise<string> {
    const answer = await this.client.conversations.open({ users: user });
    const id = answer.channel?.id;
    if (id === undefined) throw new Error('conversations.open answered without a channel');
    return id;
  }
}

/** Slack's error code of a failed call (`user_not_found`), if it answered with one. */
export function slackErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { data?: { error?: unknown } }).data?.error;
  return typeof code === 'string' ? code : undefined;
}

/** What may be logged of a failed call: codes and statuses, never a message body or a header. */
export function describeFailure(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown error';
  const { code, data, statusCode } = error as {
    code?: unknown;
    data?: { error?: unknown };
    statusCode?: unknown;
  };
  const parts = [
    typeof code === 'string' ? code : error.constructor.name,
    typeof data?.error === 'string' ? data.error : undefined,
    typeof statusCode === 'number' ? `HTTP ${statusCode}` : undefined,
  ];
  return parts.filter((part) => part !== undefined).join(' ');
}
