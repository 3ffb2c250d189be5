/**
 * Text is never Slack markup. Slack reads `&`, `<` and `>` as its control characters:
 * `<!channel>`, `<!here>`, `<@U123>`, `<!subteam^S1>` notify people and `<https://evil|Approve
 * here>` is a link whose target the reader does not see. Slack's "Formatting text for app surfaces"
 * asks for exactly those three to be written `&amp;`, `&lt;` and `&gt;` (and nothing else
 * entity-encoded), which leaves no way to open a mention or a link. Every request- or user-derived
 * value placed in a Slack message goes through slackText; the text objects carrying them are also
 * sent with `verbatim: true`, so Slack does not turn bare URLs, `#channel` or `@here` into links or
 * mentions either. Control characters and bidi overrides are shown escaped (`\x1b`, `\u202e`), as
 * in the CLI, so a value cannot reorder or hide what an approver reads.
 */

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** C0 (LF and TAB aside), DEL, C1, bidi marks, embeddings, overrides, isolates, U+2028/U+2029. */
function control(code: number): boolean {
  return (
    (code <= 0x1f && code !== 0x0a && code !== 0x09) ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** Slack's limits on a text object: 3000 characters in a section, 2000 in a section field. */
export const SLACK_SECTION_MAX = 3000;
export const SLACK_FIELD_MAX = 2000;

export interface SlackTextOptions {
  /**
   * Keep line breaks, each line quoted (mrkdwn `>`), so the whole value reads as the requester's
   * words and cannot pass for a line of the message (a justification). Without it a value is one
   * line and a newline in it is shown as `\n`.
   */
  quote?: boolean;
  /** At most this many characters (after escaping), cut between escapes and ended with `…`. */
  max?: number;
}

function piece(char: string, quote: boolean): string {
  const entity = ENTITIES[char];
  if (entity !== undefined) return entity;
  if (char === '\n') return quote ? '\n>' : '\\n';
  if (char === '\r') return '\\r';
  const code = char.codePointAt(0)!;
  if (!control(code)) return char;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `value` as literal text inside Slack mrkdwn (or plain_text): no mention, no link, no control. */
export function slackText(value: string, options: SlackTextOptions = {}): string {
  const quote = options.quote === true;
  // A CRLF line break is one line break, not a visible `\r` on every line.
  const chars = [...String(value).replaceAll('\r\n', quote ? '\n' : '\r\n')];
  const pieces = chars.map((char) => piece(char, quote));
  if (quote) pieces.unshift('>');
  return bounded(pieces, options.max ?? Infinity);
}

/** The pieces joined, or as many as fit before `…`: never half an entity or an escape. */
function bounded(pieces: string[], max: number): string {
  const whole = pieces.join('');
  if (whole.length <= max) return whole;
  let out = '';
  for (const next of pieces) {
    if (out.length + next.length > max - 1) break;
    out += next;
  }
  return `${out}…`;
}

/** `*label*` over `text` quoted line by line (a justification), within a section's limit. */
export function quotedSection(label: string, text: string | undefined): string {
  const head = `*${label}*\n`;
  if (text === undefined) return `${head}(none)`;
  return head + slackText(text, { quote: true, max: SLACK_SECTION_MAX - head.length });
}
