import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';

export interface SlackCall {
  method: string;
  authorization?: string;
  args: Record<string, unknown>;
  /** The ts this fake answered with, when it answered. */
  ts?: string;
  /** Whether its answer was sent (a held call is answered, or not, when the test says). */
  answered?: boolean;
}

/** A call the fake holds unanswered (`holding`), until the test answers or drops it. */
export interface HeldSlackCall {
  call: SlackCall;
  answer(): void;
}

/**
 * A local stand-in for the Slack Web API: records every call and answers `{ok: true, channel, ts}`
 * (conversations.open: the DM channel `D<user>`), or HTTP 500 while `failing`, or Slack's
 * `user_not_found` for a DM to one of `unknownUsers`. While `holding`, calls are recorded and kept
 * unanswered in `held`, so a test can kill the caller with a send in flight.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  failing = false;
  holding = false;
  held: HeldSlackCall[] = [];
  readonly unknownUsers = new Set<string>();
  private messages = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeSlack> {
    const server = createServer();
    const fake = new FakeSlack(server);
    server.on('request', (req, res) => {
      void readBody(req).then((body) => {
        const method = (req.url ?? '').replace(/^\/api\//, '').replace(/\?.*$/, '');
        const call: SlackCall = {
          method,
          authorization: req.headers.authorization,
          args: parse(body),
        };
        fake.calls.push(call);
        if (fake.failing) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('down');
          return;
        }
        const answer = () => fake.answer(method, call, res);
        if (fake.holding) fake.held.push({ call, answer });
        else answer();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  private answer(method: string, call: SlackCall, res: ServerResponse): void {
    // A caller gone (killed) is never answered: nothing was accepted.
    if (!res.socket || res.socket.destroyed) return;
    call.answered = true;
    if (method === 'conversations.open') {
      const user = String(call.args.users);
      const answer = this.unknownUsers.has(user)
        ? { ok: false, error: 'user_not_found' }
        : { ok: true, channel: { id: `D${user}` } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      return;
    }
    const ts =
      method === 'chat.postMessage'
        ? `1700000000.${String(++this.messages).padStart(6, '0')}`
        : String(call.args.ts);
    call.ts = ts;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ok: true, channel: call.args.channel, ts }));
  }

  /** Where Slack would let the app answer a click, on this fake's origin. */
  responseUrl(name: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/response/${name}`;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
  }

  /** Messages posted to one user's DM channel (opened with conversations.open). */
  directMessagesTo(user: string): SlackCall[] {
    return this.callsOf('chat.postMessage').filter((call) => call.args.channel === `D${user}`);
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** The calls about one request (its id is each button's value and in the link). */
  callsFor(method: string, requestId: string): SlackCall[] {
    return this.callsOf(method).filter((call) => JSON.stringify(call.args).includes(requestId));
  }

  /** The request's first call to `channel` (its approvers' DMs go out beside it, in any order). */
  channelCall(method: string, requestId: string, channel = 'C0123456'): SlackCall | undefined {
    return this.callsFor(method, requestId).find((call) => call.args.channel === channel);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parse(body: string): Record<string, unknown> {
  if (body.startsWith('{')) return JSON.parse(body) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    args[key] = key === 'blocks' ? (JSON.parse(value) as unknown) : value;
  }
  return args;
}

/** A block_actions payload as Slack sends it, form-encoded, with its v0 signature headers. */
export function signedClick(
  secret: string,
  click: { team: string; user: string; action: string; requestId: string; responseUrl?: string },
  timestamp = Math.floor(Date.now() / 1000),
): { body: string; headers: Record<string, string> } {
  const payload = {
    type: 'block_actions',
    team: { id: click.team, domain: 'example' },
    user: { id: click.user, username: click.user, team_id: click.team },
    api_app_id: 'A0001',
    trigger_id: '1.2.3',
    channel: { id: 'C0123456', name: 'access' },
    ...(click.responseUrl ? { response_url: click.responseUrl } : {}),
    actions: [
      {
        type: 'button',
        action_id: click.action,
        block_id: 'decision',
        value: click.requestId,
        action_ts: String(timestamp),
      },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
    },
  };
}
