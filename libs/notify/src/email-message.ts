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
  // eslint-disable-next-line no-control-regex
  const flat = value.replace(
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/gu,
    ' ',
  );
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
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
