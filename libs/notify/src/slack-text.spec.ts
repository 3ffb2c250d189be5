import { Logger } from '@nestjs/common';
import type { RequestView } from '#access';
import { BreakGlassNotifier } from './break-glass-alerts.js';
import type { SlackApi } from './slack-api.js';
import type { SlackMessage } from './slack-message.js';
import { requestMessage } from './slack-message.js';
import { quotedSection, slackText } from './slack-text.js';

/** Slack markup that would notify someone or carry a link. */
const MARKUP = /<[!@#]|<https?:|<mailto:|<[a-z][a-z0-9+.-]*:/iu;
/** The characters a terminal would obey rather than show (LF and TAB aside), for a readable failure. */
function controlIn(text: string): string[] {
  const obeyed = (code: number) =>
    (code < 0x20 && code !== 0x0a && code !== 0x09) ||
    (code >= 0x7f && code <= 0x9f) ||
    [0x061c, 0x200e, 0x200f, 0x2028, 0x2029].includes(code) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069);
  return [...text]
    .map((char) => char.codePointAt(0)!)
    .filter(obeyed)
    .map((code) => `U+${code.toString(16).padStart(4, '0')}`);
}

/** [what, hostile text, how it reads in one line of mrkdwn] */
const HOSTILE: [string, string, string][] = [
  ['a channel mention', '<!channel> approve now', '&lt;!channel&gt; approve now'],
  ['@here', '<!here>', '&lt;!here&gt;'],
  ['@everyone', '<!everyone|everyone>', '&lt;!everyone|everyone&gt;'],
  ['a user mention', 'ping <@U0123ABC>', 'ping &lt;@U0123ABC&gt;'],
  ['a group mention', '<!subteam^S0123|@security-team>', '&lt;!subteam^S0123|@security-team&gt;'],
  ['a channel link', '<#C0123|general>', '&lt;#C0123|general&gt;'],
  [
    'a disguised link',
    '<https://evil.example/x|Approve here>',
    '&lt;https://evil.example/x|Approve here&gt;',
  ],
  ['a mailto link', '<mailto:a@evil.example|security>', '&lt;mailto:a@evil.example|security&gt;'],
  ['a date token', '<!date^1392734382^{date}|Feb 18>', '&lt;!date^1392734382^{date}|Feb 18&gt;'],
  ['entities typed by hand', '&lt;!channel&gt; &amp;', '&amp;lt;!channel&amp;gt; &amp;amp;'],
  ['a lone angle bracket', 'a < b > c & d', 'a &lt; b &gt; c &amp; d'],
  ['a newline', 'INC-1\n*Approved by* security-team', 'INC-1\\n*Approved by* security-team'],
  [
    'terminal escapes',
    '\u001b[2K\u001b[1A\u001b]52;c;eA==\u0007',
    '\\x1b[2K\\x1b[1A\\x1b]52;c;eA==\\x07',
  ],
  ['C1 CSI', '\u009b2J', '\\x9b2J'],
  ['a bidi override', 'ok \u202eevil\u202c', 'ok \\u202eevil\\u202c'],
  ['bidi isolates and marks', '\u2066\u2069\u200f\u061c', '\\u2066\\u2069\\u200f\\u061c'],
  ['CR, NUL and DEL', 'a\rb\u0000c\u007f', 'a\\rb\\x00c\\x7f'],
];

describe('slackText', () => {
  it.each(HOSTILE)('neutralises %s', (_what, hostile, shown) => {
    const text = slackText(hostile);
    expect(text).toBe(shown);
    expect(text).not.toMatch(MARKUP);
    expect(controlIn(text)).toEqual([]);
    expect(text).not.toContain('\n');
  });

  it.each(['café ✓', 'INC-1: db:write on postgres://prod', '日本語 🚀 👩‍💻', 'a\tb'])(
    'leaves %p as it is',
    (text) => {
      expect(slackText(text)).toBe(text);
    },
  );

  it('quotes every line of a multi-line value, so none passes for a line of the message', () => {
    expect(slackText('INC-1\r\n*Approved by* <@U1>\n\nbye', { quote: true })).toBe(
      '>INC-1\n>*Approved by* &lt;@U1&gt;\n>\n>bye',
    );
  });

  it('cuts at the limit between escapes, never inside an entity', () => {
    expect(slackText('<'.repeat(2000), { max: 3000 })).toBe(`${'&lt;'.repeat(749)}…`);
    expect(slackText('&&&', { max: 7 })).toBe('&amp;…');
    expect(slackText('abc', { max: 3 })).toBe('abc');
    const long = quotedSection('Justification', '&\n'.repeat(1000));
    expect(long.length).toBeLessThanOrEqual(3000);
    expect(long.endsWith('…')).toBe(true);
  });
});

const hostileText = HOSTILE.map(([, text]) => text).join(' ');

function view(overrides: Partial<RequestView> = {}): RequestView {
  return {
    id: '0190c0de-0000-7000-8000-000000000001',
    role: 'prod-db-admin',
    resource: 'postgres://prod/payments',
    requester: 'corp:alice',
    recipient: 'corp:alice',
    justification: hostileText,
    duration: 900,
    status: 'pending',
    createdAt: '2026-11-29T03:00:00Z',
    approvals: [],
    approvalsRequired: 1,
    ...overrides,
  };
}

/** Every mrkdwn or plain text a message carries, with whether Slack would preprocess it. */
function texts(message: SlackMessage): { text: string; verbatim?: boolean; type?: string }[] {
  const found: { text: string; verbatim?: boolean; type?: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (typeof record.text === 'string' && typeof record.type === 'string') {
        found.push(record as { text: string; type: string });
      }
      Object.values(record).forEach(walk);
    }
  };
  walk(message.blocks);
  return found;
}

/** The one link a message may carry: ours, to the request. */
const withoutOwnLink = (text: string) =>
  text.replace(/<http:\/\/broker\.test\/requests\/[\w-]+\|[A-Za-z ]+>/u, '');

describe('requestMessage', () => {
  it('carries no markup or control character from any request field', () => {
    const message = requestMessage(
      view({
        role: `role${hostileText}`,
        resource: hostileText,
        requester: `corp:${hostileText}`,
        recipient: hostileText,
        intent: { actions: [hostileText], resource: hostileText },
        approvals: [{ approver: `corp:${hostileText}`, at: '2026-11-29T03:01:00Z' }],
      }),
      { kind: 'approval_recorded', actor: hostileText },
      'http://broker.test',
    );
    for (const { text, type, verbatim } of texts(message)) {
      expect(withoutOwnLink(text)).not.toMatch(MARKUP);
      expect(controlIn(text)).toEqual([]);
      if (type === 'mrkdwn') expect(verbatim).toBe(true);
    }
    expect(withoutOwnLink(message.text)).not.toMatch(MARKUP);
    expect(JSON.stringify(message.blocks)).toContain('&lt;!channel&gt;');
    expect(JSON.stringify(message.blocks)).toContain(
      '<http://broker.test/requests/0190c0de-0000-7000-8000-000000000001|Open the request>',
    );
  });

  it('shows an extension as one, with the grant it extends and the time it adds', () => {
    const message = requestMessage(
      view({ extends: '0190c0de-0000-7000-8000-0000000000ff', duration: 1800 }),
      { kind: 'created', actor: 'corp:alice' },
      'http://broker.test',
    );
    const blocks = JSON.stringify(message.blocks);
    expect(blocks).toContain('*Extension request: ');
    expect(blocks).toContain('*Extends grant*');
    expect(blocks).toContain('0190c0de-0000-7000-8000-0000000000ff');
    expect(blocks).toContain('*More time*');
    expect(blocks).toContain('30m');
  });

  it('stays within Slack’s limits whatever the request holds', () => {
    const message = requestMessage(
      view({
        justification: '&'.repeat(2000),
        intent: { actions: Array.from({ length: 100 }, () => '<'.repeat(128)), resource: 'x' },
      }),
      { kind: 'created', actor: 'corp:alice' },
      'http://broker.test',
    );
    const sections = message.blocks.filter((block) => block.type === 'section');
    for (const section of sections) {
      if (section.text) expect(section.text.text.length).toBeLessThanOrEqual(3000);
      for (const field of section.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000);
    }
  });
});

describe('break-glass alert', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('carries no markup or control character from the activation', async () => {
    const posted: SlackMessage[] = [];
    const api: SlackApi = {
      postMessage: (_channel, message) => {
        posted.push(message);
        return Promise.resolve({ channel: 'C1', ts: '1.1' });
      },
      update: () => Promise.resolve(),
      openDirect: () => Promise.resolve('D1'),
    };
    const notifier = new BreakGlassNotifier({
      publicUrl: 'http://broker.test',
      slack: { api, channel: 'C1' },
    });
    notifier.send(
      {
        kind: 'activated',
        requestId: '0190c0de-0000-7000-8000-000000000002',
        role: `role${hostileText}`,
        activatedBy: `corp:${hostileText}`,
        justification: hostileText,
        activatedAt: '2026-11-29T03:00:00Z',
        reviewDueAt: '2026-11-29T04:00:00Z',
        escalations: 0,
      },
      { maxDuration: 600, reviewWithin: 3600, escalateEvery: 3600, notify: { slack: true } },
    );
    await notifier.idle();
    expect(posted).toHaveLength(1);
    for (const { text, type, verbatim } of texts(posted[0])) {
      expect(withoutOwnLink(text)).not.toMatch(MARKUP);
      expect(controlIn(text)).toEqual([]);
      if (type === 'mrkdwn') expect(verbatim).toBe(true);
    }
    expect(posted[0].text).not.toMatch(MARKUP);
    expect(JSON.stringify(posted[0].blocks)).toContain(
      '&lt;https://evil.example/x|Approve here&gt;',
    );
  });
});
