import type { CookieOptions, Request, Response } from 'express';

export const SESSION_COOKIE = 'cs_session';
export const LOGIN_COOKIE = 'cs_login';

/** One cookie's value from the Cookie header (ours are base64url: no decoding needed). */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** HttpOnly, SameSite=Lax, Secure when the broker is reached over https (docs/api.md §6). */
export function cookieOptions(publicUrl: string, maxAgeSeconds: number): CookieOptions {
  return {
    httpOnly: true,
    sameSite: 'lax',
    secure: publicUrl.startsWith('https://'),
    path: '/',
    maxAge: maxAgeSeconds * 1000,
  };
}

export function clearCookie(res: Response, publicUrl: string, name: string): void {
  const options = cookieOptions(publicUrl, 0);
  res.clearCookie(name, { ...options, maxAge: undefined });
}

/**
 * Where to go after signing in: only a path on this site (`/requests/…`), never another origin,
 * a protocol-relative `//host` or a backslash trick; anything else means the request list.
 */
export function safeReturnTo(value: unknown, publicUrl: string): string {
  const fallback = '/requests';
  if (typeof value !== 'string' || value.length > 512) return fallback;
  // Printable ASCII only: no whitespace, control characters or backslashes to confuse a parser.
  if (!value.startsWith('/') || value.startsWith('//') || !/^[!-[\]-~]+$/.test(value)) {
    return fallback;
  }
  const base = new URL(publicUrl);
  const target = new URL(value, base);
  return target.origin === base.origin ? `${target.pathname}${target.search}` : fallback;
}
