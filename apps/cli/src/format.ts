/** Pure text formatting for the human-readable output (unit-tested). */

import { terminalText } from './terminal-text.js';

export type Paint = (column: number, text: string) => string;

const plain: Paint = (_column, text) => text;

/**
 * Aligned columns under upper-case headers; `paint` colours cells after padding. Every cell is
 * escaped (terminalText) before it is measured, so no value can move the cursor or add a row.
 */
export function table(headers: string[], cells: string[][], paint: Paint = plain): string {
  const rows = cells.map((row) => row.map((cell) => terminalText(cell ?? '')));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[], style: Paint) =>
    cells
      .map((cell, column) => {
        const padded = column === cells.length - 1 ? cell : cell.padEnd(widths[column]);
        return style(column, padded);
      })
      .join('  ')
      .trimEnd();
  return [line(headers, plain), ...rows.map((row) => line(row, paint))].join('\n') + '\n';
}

/**
 * `key  value` lines, keys aligned; entries with an undefined value are left out. Each value is
 * escaped (terminalText): one line per key, whatever the value holds.
 */
export function keyValues(entries: [string, string | undefined][]): string {
  const shown = entries.filter((entry): entry is [string, string] => entry[1] !== undefined);
  const width = Math.max(...shown.map(([key]) => key.length));
  return (
    shown.map(([key, value]) => `${key.padEnd(width)}  ${terminalText(value)}`).join('\n') + '\n'
  );
}

/** 1800 -> `30m`, 5400 -> `1h30m`, 90061 -> `1d1h1m1s`. */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  const parts: [number, string][] = [
    [Math.floor(seconds / 86400), 'd'],
    [Math.floor((seconds % 86400) / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [Math.floor(seconds % 60), 's'],
  ];
  return parts
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value}${unit}`)
    .join('');
}

/** An ISO instant shortened to seconds, in UTC: `2026-11-29T03:30:12Z`. */
export function formatInstant(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `in 29m` / `3m ago`, for a reader who wants to know how long is left. */
export function relative(iso: string, now: number): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  return seconds >= 0 ? `in ${formatDuration(seconds)}` : `${formatDuration(-seconds)} ago`;
}

const STATUS_COLOURS: Readonly<Record<string, number>> = {
  approved: 32,
  issued: 32,
  active: 32,
  pending: 33,
  denied: 31,
  revoked: 31,
  cancelled: 90,
  expired: 90,
};

/** ANSI colour for a status word; the caller decides whether colour is wanted at all. */
export function colourStatus(text: string): string {
  const code = STATUS_COLOURS[text.trim()];
  return code === undefined ? text : `\u001b[${code}m${text}\u001b[0m`;
}

/** POSIX shell single-quoting: safe for any value, including quotes and newlines. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
