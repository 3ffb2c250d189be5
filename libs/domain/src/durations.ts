const SHORT = /^(\d{1,9})(s|m|h|d)$/;
// ISO 8601 durations limited to days and time parts: months and years have no fixed length.
const ISO = /^P(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9})S)?)?$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses `30s`, `15m`, `1h`, `1d`, ISO 8601 (`PT15M`, `P1DT2H`) or a whole number of seconds.
 * Returns undefined for anything else, including zero-length ISO forms like `P` or `PT`.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  const short = SHORT.exec(value);
  if (short) return Number(short[1]) * UNIT_SECONDS[short[2]];
  if (/^\d{1,9}$/.test(value)) return Number(value);
  const iso = ISO.exec(value);
  if (!iso || value === 'P' || value.endsWith('T')) return undefined;
  const [, d, h, m, s] = iso.map((part) => Number(part ?? 0));
  return d * 86400 + h * 3600 + m * 60 + s;
}

/** Formats seconds the way the config writes them, for messages: 900 -> `15m`. */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
