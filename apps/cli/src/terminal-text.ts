/**
 * Text is never terminal markup. Every string the CLI prints comes from the broker, an
 * identity provider or a file it was given, and a terminal obeys what it reads: `ESC[1A ESC[2K`
 * rewrites the line above, OSC 52 writes the clipboard, a carriage return overwrites the line, a
 * bidi override reorders what the reader sees. So every such character is shown, escaped, instead:
 * C0 controls (NUL..US, LF and TAB included), DEL, C1 controls (U+0080..U+009F, CSI U+009B among
 * them), the bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069), and the line and paragraph separators (U+2028, U+2029).
 * Everything else, `café ✓` included, is left as it is.
 */

/** Whether a terminal could obey this code point instead of showing it. */
function unsafe(code: number): boolean {
  return (
    code <= 0x1f ||
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

const NAMED: Readonly<Record<number, string>> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

const hex = (code: number, width: number) => code.toString(16).padStart(width, '0');

function visible(code: number): string {
  return NAMED[code] ?? (code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`);
}

/** The status colours format.ts paints on a terminal (colourStatus), and nothing else. */
const OWN_COLOURS = [0, 31, 32, 33, 90].map((code) => `\u001b[${code}m`);

/**
 * What `text` reads as on a terminal, with every unsafe character written as a visible escape
 * (`\x1b`, `\x9b`, `\r`, `\u202e`). The one function every printed string goes through:
 *
 * - `field` (the default): one value in a table cell or after a key. Newlines and tabs are escaped
 *   too, so a value can never add a line (a forged "approved by security-team") or break a column.
 * - `output`: a whole document the CLI composed from already-escaped fields, at the point where it
 *   is written. Its own newlines are kept, and the status colours the CLI itself paints (and only
 *   those, which neither move the cursor nor hide text); anything else unsafe is escaped, so a
 *   field a view forgot still cannot drive the terminal.
 */
export function terminalText(text: string, scope: 'field' | 'output' = 'field'): string {
  // String(): a broker answer may put a number where a string was expected.
  const value = String(text);
  const output = scope === 'output';
  let shown = '';
  for (let at = 0; at < value.length;) {
    const colour =
      output && value.charCodeAt(at) === 0x1b
        ? OWN_COLOURS.find((own) => value.startsWith(own, at))
        : undefined;
    if (colour !== undefined) {
      shown += colour;
      at += colour.length;
      continue;
    }
    const code = value.codePointAt(at)!;
    const char = String.fromCodePoint(code);
    at += char.length;
    shown += !unsafe(code) || (output && code === 0x0a) ? char : visible(code);
  }
  return shown;
}

/**
 * A JSON text that is also safe on a terminal: every unsafe character written as a `\uXXXX`
 * escape, which JSON reads back as the very same character. JSON.stringify escapes C0 already;
 * DEL, C1, bidi controls and U+2028/U+2029 it leaves raw, so they are escaped here. Outside strings
 * a JSON text has no such character, so the document parses to the same value. Newlines (the
 * indentation's) are kept.
 */
export function jsonSafe(json: string): string {
  let safe = '';
  for (const char of json) {
    const code = char.codePointAt(0)!;
    safe += !unsafe(code) || code === 0x0a ? char : `\\u${hex(code, 4)}`;
  }
  return safe;
}

/** `value` as the JSON document --json prints (two-space indent), terminal-safe. */
export function jsonText(value: unknown): string {
  return jsonSafe(JSON.stringify(value, null, 2) ?? 'null');
}
