import type { Notice } from './notice.js';

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML text or attribute value: nothing in it can open a tag, an attribute or an entity. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char]);
}

/**
 * One line for a header: control and bidi characters (CR and LF included) become spaces, so a
 * value cannot add a header or reorder what the reader sees; at most 200 characters.
 */
export function headerText(value: string): string {
  const flat = [...value].map((char) => (unfit(char.codePointAt(0)!) ? ' ' : char)).join('');
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}

/** C0 (CR and LF included), DEL, C1, bidi marks, embeddings, overrides, isolates, U+2028/9. */
function unfit(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    [0x061c, 0x200e, 0x200f].includes(code) ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * A notice as an email (docs/notifications.md): plain text plus simple HTML with every value
 * escaped, one link to the request's web page, no script, no image, nothing remote.
 */
export function emailMessage(notice: Notice): EmailMessage {
  const quote = notice.quote;
  const text = [
    ...notice.lines,
    ...(quote
      ? ['', `${quote.label}:`, ...quote.text.split(/\r?\n/u).map((line) => `> ${line}`)]
      : []),
    '',
    `${notice.action}: ${notice.link}`,
    '',
    '-- countersign',
  ].join('\n');
  const paragraphs = notice.lines.map((line) => `<p>${escapeHtml(line)}</p>`);
  const quoted = quote
    ? [
        `<p>${escapeHtml(quote.label)}:</p>`,
        `<blockquote style="white-space: pre-wrap">${escapeHtml(quote.text)}</blockquote>`,
      ]
    : [];
  const html = [
    '<!doctype html>',
    '<html><body>',
    ...paragraphs,
    ...quoted,
    `<p><a href="${escapeHtml(notice.link)}">${escapeHtml(notice.action)}</a></p>`,
    '<p>-- countersign</p>',
    '</body></html>',
  ].join('\n');
  return { subject: headerText(notice.subject), text, html };
}
