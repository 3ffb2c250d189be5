import { InvalidArgumentError } from 'commander';

/** Argument parsers for commander: a bad value is a usage error (exit 2) that says what fits. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseId(value: string): string {
  if (!UUID.test(value)) {
    throw new InvalidArgumentError('not an id: ids are UUIDs (see `countersign ls`).');
  }
  return value.toLowerCase();
}

/** The broker's rule for a service account's name; anything else never reaches a request path. */
const ACCOUNT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function parseAccountName(value: string): string {
  if (!ACCOUNT_NAME.test(value)) {
    throw new InvalidArgumentError(
      'not a service account name: lower-case letters, digits and -, at most 63.',
    );
  }
  return value;
}

export function parseCount(value: string): number {
  const count = Number(value);
  if (!/^\d{1,6}$/.test(value) || count < 1) {
    throw new InvalidArgumentError('expected a whole number from 1 to 999999.');
  }
  return count;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `15m`, `2h`, `1d` or a number of seconds, in milliseconds; undefined when malformed. */
export function durationMs(value: string): number | undefined {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's'] * 1000;
}

export function parseDurationOption(value: string): number {
  const ms = durationMs(value);
  if (ms === undefined || ms === 0) {
    throw new InvalidArgumentError('expected a duration such as 90s, 15m, 2h or 1d.');
  }
  return ms;
}

/** `--for`: the broker validates the duration against the role; here only its form is checked. */
export function parseRequestDuration(value: string): string {
  if (
    durationMs(value) === undefined &&
    !/^P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/.test(value)
  ) {
    throw new InvalidArgumentError('expected a duration such as 30m, 1h, 90s or PT15M.');
  }
  return value;
}

/** An instant for audit filters: ISO 8601, or a duration meaning "that long ago" (`2h`). */
export function instantParser(now: () => number): (value: string) => string {
  return (value) => {
    const ago = durationMs(value);
    if (ago !== undefined) return new Date(now() - ago).toISOString();
    const date = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
      throw new InvalidArgumentError(
        'expected an ISO 8601 instant (2026-11-29T10:00:00Z) or a time ago (30m, 2h, 1d).',
      );
    }
    return date.toISOString();
  };
}

/** An issuer URL, kept exactly as given: OIDC discovery compares issuer identifiers verbatim. */
export function parseIssuerUrl(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new InvalidArgumentError('expected an http(s) URL such as https://idp.example.com');
  }
  return value;
}

/** The broker URL: http(s) only, without a trailing slash, so it keys the token store stably. */
export function normalizeUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.search || url.hash) return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
