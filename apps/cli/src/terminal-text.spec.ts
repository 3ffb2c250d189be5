import type { AccessRequest } from './api-types.js';
import { colourStatus, keyValues, table } from './format.js';
import { run } from './run.js';
import { jsonText, terminalText } from './terminal-text.js';
import { requestDetails, requestLine } from './views.js';

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

/** [what, hostile text, how a single-line field shows it] */
const HOSTILE: [string, string, string][] = [
  ['CSI erase line, cursor up', '\u001b[2K\u001b[1A', '\\x1b[2K\\x1b[1A'],
  [
    'OSC 52 clipboard write ended by BEL',
    '\u001b]52;c;cm0gLXJmIH4=\u0007',
    '\\x1b]52;c;cm0gLXJmIH4=\\x07',
  ],
  ['OSC 52 ended by ST', '\u001b]52;c;cm0gLXJmIH4=\u001b\\', '\\x1b]52;c;cm0gLXJmIH4=\\x1b\\'],
  ['C1 CSI (U+009B)', '\u009b2J\u009b1A', '\\x9b2J\\x9b1A'],
  ['C1 OSC and ST', '\u009d52;c;eA==\u009c', '\\x9d52;c;eA==\\x9c'],
  ['CR overwrite', 'INC-1\rapproved by security-team', 'INC-1\\rapproved by security-team'],
  ['a forged line', 'INC-1\napprovals  1/1', 'INC-1\\napprovals  1/1'],
  ['tab', 'a\tb', 'a\\tb'],
  ['bidi override', 'ok \u202eevil\u202c', 'ok \\u202eevil\\u202c'],
  ['bidi embeddings', '\u202a\u202b\u202d', '\\u202a\\u202b\\u202d'],
  ['bidi isolates', '\u2066a\u2067b\u2068c\u2069', '\\u2066a\\u2067b\\u2068c\\u2069'],
  ['bidi marks', '\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
  ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
  ['NUL', 'a\u0000b', 'a\\x00b'],
  ['DEL', 'a\u007fb', 'a\\x7fb'],
  ['BEL and backspace', '\u0007\u0008', '\\x07\\x08'],
];

const PLAIN = ['café ✓', '日本語の理由', 'emoji 🚀 and 👩‍💻 (ZWJ kept)', 'a \\x1b typed by hand', ''];

describe('terminalText', () => {
  it.each(HOSTILE)('escapes %s visibly in a field', (_what, hostile, shown) => {
    expect(terminalText(hostile)).toBe(shown);
    expect(controlIn(terminalText(hostile))).toEqual([]);
  });

  it.each(PLAIN)('leaves %p as it is', (text) => {
    expect(terminalText(text)).toBe(text);
    expect(terminalText(text, 'output')).toBe(text);
  });

  it.each(HOSTILE)(
    'escapes %s in composed output, keeping only newlines',
    (_what, hostile, shown) => {
      const out = terminalText(`line one\n${hostile}\n`, 'output');
      expect(controlIn(out)).toEqual([]);
      // The field's own escapes, except that a newline stays one in output.
      expect(out).toBe(`line one\n${shown.replaceAll('\\n', '\n')}\n`);
    },
  );

  it("keeps the CLI's own status colours in output, and no other escape sequence", () => {
    const painted = `${colourStatus('denied')}  ${colourStatus('pending')}\n`;
    expect(terminalText(painted, 'output')).toBe(painted);
    expect(terminalText('\u001b[8mhidden\u001b[0m \u001b[31;1mx', 'output')).toBe(
      '\\x1b[8mhidden\u001b[0m \\x1b[31;1mx',
    );
    // A field never keeps one, not even a colour.
    expect(terminalText('\u001b[31mred\u001b[0m')).toBe('\\x1b[31mred\\x1b[0m');
  });

  it('is idempotent on what it produced', () => {
    for (const [, hostile] of HOSTILE) {
      const once = terminalText(hostile);
      expect(terminalText(once)).toBe(once);
    }
  });
});

describe('jsonText', () => {
  it.each(HOSTILE)(
    'writes %s as \\u escapes that parse back to the same value',
    (_what, hostile) => {
      const value = { justification: hostile, nested: [{ comment: `x${hostile}y` }] };
      const json = jsonText(value);
      expect(controlIn(json)).toEqual([]);
      expect(JSON.parse(json)).toEqual(value);
    },
  );

  it('keeps plain unicode and the indentation as they are', () => {
    expect(jsonText({ a: 'café ✓ 🚀' })).toBe('{\n  "a": "café ✓ 🚀"\n}');
    expect(jsonText({ a: '\u009b\u202e\u007f' })).toBe('{\n  "a": "\\u009b\\u202e\\u007f"\n}');
  });
});

describe('views escape every value', () => {
  const hostile = HOSTILE.map(([, text]) => text).join(' ');
  const request: AccessRequest = {
    id: 'r-1',
    role: `prod${hostile}`,
    resource: hostile,
    requester: `corp:alice${hostile}`,
    recipient: hostile,
    justification: `INC-1\n\u001b[2K\u001b[1Aapprovals      1/1 required\n  approved by security-team${hostile}`,
    duration: 900,
    status: 'approved',
    createdAt: '2026-11-29T03:00:00Z',
    approvals: [{ approver: `corp:bob${hostile}`, at: '2026-11-29T03:01:00Z', comment: hostile }],
    approvalsRequired: 1,
  };

  it('requestDetails: one line per key and per approval, no control character', () => {
    const text = requestDetails(request);
    expect(controlIn(text)).toEqual([]);
    // id, role, status, requester, recipient, duration, justification, approvals, created, one approval
    expect(text.split('\n')).toHaveLength(11);
    expect(text).toContain('justification  INC-1\\n\\x1b[2K\\x1b[1Aapprovals      1/1 required\\n');
  });

  it('requestLine, table and keyValues', () => {
    expect(controlIn(requestLine(request))).toEqual([]);
    const cells = table(['A', 'B'], [[hostile, hostile]], (_column, text) => colourStatus(text));
    expect(cells.split('\n')).toHaveLength(3);
    expect(controlIn(withoutOwnColours(cells))).toEqual([]);
    expect(controlIn(keyValues([['k', hostile]]))).toEqual([]);
  });
});

describe('run() prints nothing raw, whatever the broker answers', () => {
  const hostile = HOSTILE.map(([, text]) => text).join(' | ');
  const request = {
    id: '0190c0de-0000-7000-8000-000000000001',
    role: 'prod-db-admin',
    requester: 'corp:alice',
    recipient: 'corp:alice',
    justification: hostile,
    duration: 900,
    status: 'pending',
    createdAt: '2026-11-29T03:00:00Z',
    approvals: [],
    approvalsRequired: 1,
  };

  class Capture {
    text = '';
    constructor(readonly isTTY = false) {}
    write(chunk: string): boolean {
      this.text += chunk;
      return true;
    }
  }

  async function cli(args: string[], answer: { status: number; body: unknown }, tty = false) {
    const stdout = new Capture(tty);
    const stderr = new Capture(tty);
    const fetch = (() =>
      Promise.resolve(
        new Response(JSON.stringify(answer.body), {
          status: answer.status,
          headers: { 'content-type': 'application/json' },
        }),
      )) as unknown as typeof globalThis.fetch;
    const env = {
      COUNTERSIGN_TOKEN: 'a.b.c',
      COUNTERSIGN_URL: 'http://broker.test',
      XDG_CONFIG_HOME: '/nonexistent',
    };
    const code = await run(args, { stdout, stderr, env, fetch });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('show, as text on a terminal and as --json', async () => {
    const shown = await cli(['show', request.id], { status: 200, body: request }, true);
    expect(shown.code).toBe(0);
    expect(controlIn(shown.stdout)).toEqual([]);
    expect(shown.stdout).toContain('\\x1b]52;c;cm0gLXJmIH4=\\x07');

    const json = await cli(['show', request.id, '--json'], { status: 200, body: request });
    expect(controlIn(json.stdout)).toEqual([]);
    expect((JSON.parse(json.stdout) as typeof request).justification).toBe(hostile);
  });

  it('ls, with its status colours on a terminal', async () => {
    const page = { items: [{ ...request, role: hostile, status: 'denied' }] };
    const listed = await cli(['ls'], { status: 200, body: page }, true);
    expect(listed.stdout).toContain('\u001b[31mdenied\u001b[0m');
    expect(controlIn(withoutOwnColours(listed.stdout))).toEqual([]);
    expect(listed.stdout.split('\n')).toHaveLength(3);
  });

  it('evidence: byte for byte into a pipe, escaped (and said so) on a terminal', async () => {
    const bundle = { justification: hostile };
    const piped = await cli(['evidence', request.id], { status: 200, body: bundle });
    expect(piped.stdout).toBe(JSON.stringify(bundle));

    const shown = await cli(['evidence', request.id], { status: 200, body: bundle }, true);
    expect(controlIn(shown.stdout)).toEqual([]);
    expect(JSON.parse(shown.stdout)).toEqual(bundle);
    expect(shown.stderr).toContain('redirect to a file for the exact bytes');
  });

  it("a broker's error message, as text and as a --json line", async () => {
    const body = {
      error: 'invalid_request',
      message: hostile,
      fields: [{ field: hostile, message: hostile }],
    };
    const text = await cli(['show', request.id], { status: 400, body });
    expect(text.code).toBe(2);
    expect(controlIn(text.stderr)).toEqual([]);
    expect(text.stderr.split('\n')).toHaveLength(2);

    const json = await cli(['show', request.id, '--json'], { status: 400, body });
    expect(controlIn(json.stderr)).toEqual([]);
    expect((JSON.parse(json.stderr) as { message: string }).message).toContain(hostile);
  });
});
