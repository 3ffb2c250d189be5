import { BrokerClient } from '../broker-client.js';
import type { Context, Outcome } from '../context.js';
import { deviceLogin } from '../device-login.js';
import { CliError, ExitCode, usageError } from '../exit-codes.js';
import { formatInstant, keyValues } from '../format.js';
import { readClaims } from '../jwt-claims.js';
import { jsonSafe, terminalText as t } from '../terminal-text.js';
import type { StoredLogin } from '../token-store.js';

export interface LoginOptions {
  token?: string;
  demo?: string;
  issuer?: string;
  clientId?: string;
  scope: string;
  idToken?: boolean;
  verify: boolean;
}

const MAX_TOKEN_BYTES = 16 * 1024;

/** `login`: a token given, piped, fetched from the demo issuer, or from an OIDC device flow. */
export async function login(ctx: Context, options: LoginOptions): Promise<Outcome> {
  const { token, method } = await obtainToken(ctx, options);
  if (readClaims(token) === undefined) {
    throw usageError('that is not a JWT', 'a countersign token is a JWT from a trusted issuer');
  }
  if (options.verify) await probe(ctx, token);
  const login: StoredLogin = { token, method, savedAt: new Date(ctx.now()).toISOString() };
  await ctx.store.save(ctx.url, login);
  const who = describeToken(token, ctx.now());
  return {
    data: { url: ctx.url, method, verified: options.verify, stored: ctx.store.path, ...who },
    text: `signed in to ${t(ctx.url)} as ${who.subject !== undefined ? t(who.subject) : 'an unnamed subject'}${who.expiresAt ? ` until ${formatInstant(who.expiresAt)}` : ''}\n`,
  };
}

async function obtainToken(
  ctx: Context,
  options: LoginOptions,
): Promise<{ token: string; method: StoredLogin['method'] }> {
  const ways = [options.token, options.demo, options.issuer].filter((way) => way !== undefined);
  if (ways.length > 1) throw usageError('use one of --token, --demo or --issuer');
  if (options.token !== undefined) return { token: options.token.trim(), method: 'token' };
  if (options.demo !== undefined) {
    const text = await ctx
      .anonymous()
      .text(`/demo/token/${encodeURIComponent(options.demo)}`)
      .catch((error: unknown) => {
        throw demoError(ctx, options.demo!, error);
      });
    return { token: text.trim(), method: 'demo' };
  }
  if (options.issuer !== undefined) {
    if (!options.clientId) throw usageError('--issuer needs --client-id');
    const token = await deviceLogin({
      issuer: options.issuer,
      clientId: options.clientId,
      scope: options.scope,
      useIdToken: options.idToken === true,
      fetch: ctx.fetch,
      prompt: (uri, code, complete) => devicePrompt(ctx, uri, code, complete),
    });
    return { token, method: 'oidc' };
  }
  const stdin = ctx.io.stdin;
  if (!stdin || stdin.isTTY) {
    throw usageError(
      'no token given',
      'use --token <jwt>, pipe a token in, --demo <user>, or --issuer <url> --client-id <id>',
    );
  }
  const piped = await readBounded(stdin);
  if (!piped) throw usageError('no token on stdin', 'pipe a token in, or use --token <jwt>');
  return { token: piped, method: 'token' };
}

function devicePrompt(ctx: Context, uri: string, code: string, complete?: string): void {
  const stderr = ctx.io.stderr;
  if (ctx.json) {
    stderr.write(
      `${jsonSafe(JSON.stringify({ verificationUri: uri, userCode: code, verificationUriComplete: complete }))}\n`,
    );
  } else {
    // The URL and the code come from the identity provider: escaped like any other text.
    stderr.write(
      `To sign in, open ${t(complete ?? uri)}\nand check that it shows the code ${t(code)}\n`,
    );
  }
}

function demoError(ctx: Context, user: string, error: unknown): unknown {
  if (error instanceof CliError && error.exitCode === ExitCode.notFound) {
    return new CliError(ExitCode.notFound, `no demo user "${t(user)}" at ${t(ctx.url)}`, {
      code: 'not_found',
      hint: 'demo users are alice, bob, carol, dave and mallory, on a broker started with the demo config (`npm start` with no countersign.yaml)',
    });
  }
  return error;
}

async function readBounded(stdin: AsyncIterable<string | Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_TOKEN_BYTES) throw usageError('the token on stdin is too long');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** Any authenticated read proves the broker accepts the token; a 401 stops here, unsaved. */
async function probe(ctx: Context, token: string): Promise<void> {
  const client = new BrokerClient(ctx.url, ctx.fetch, { value: token, source: 'store' });
  try {
    await client.get('/v1/requests', { limit: 1 });
  } catch (error) {
    if (error instanceof CliError && error.exitCode === ExitCode.unauthenticated) {
      throw new CliError(
        ExitCode.unauthenticated,
        `the broker at ${ctx.url} refused this token; nothing was stored`,
        {
          code: 'unauthenticated',
          hint: 'check that the token is current and from an issuer the broker trusts',
        },
      );
    }
    throw error;
  }
}

export async function logout(ctx: Context): Promise<Outcome> {
  const removed = await ctx.store.remove(ctx.url);
  return {
    data: { url: ctx.url, removed },
    text: removed ? `signed out of ${t(ctx.url)}\n` : `was not signed in to ${t(ctx.url)}\n`,
  };
}

function describeToken(token: string, now: number) {
  const claims = readClaims(token);
  return {
    subject: claims?.sub,
    issuer: claims?.iss,
    groups: claims?.groups,
    expiresAt: claims?.exp ? new Date(claims.exp * 1000).toISOString() : undefined,
    expired: claims?.exp ? claims.exp * 1000 <= now : undefined,
  };
}

/** `whoami`: what the token in use says, and whether the broker accepts it. */
export async function whoami(ctx: Context): Promise<Outcome> {
  const client = await ctx.client();
  await client.get('/v1/requests', { limit: 1 });
  const token = client.token!;
  const who = describeToken(token.value, ctx.now());
  const source = token.source === 'env' ? 'COUNTERSIGN_TOKEN' : ctx.store.path;
  return {
    data: { url: ctx.url, source: token.source, accepted: true, ...who },
    text: keyValues([
      ['broker', ctx.url],
      ['subject', who.subject],
      ['issuer', who.issuer],
      ['groups', who.groups?.join(', ')],
      ['expires', who.expiresAt ? formatInstant(who.expiresAt) : undefined],
      ['token from', source],
    ]),
  };
}
