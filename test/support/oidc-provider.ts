import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CryptoKey, JWK } from 'jose';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import type { Account, OidcContext } from 'oidc-provider';
import { USERS } from './broker.js';
import type { UserName } from './broker.js';

export const WEB_CLIENT_ID = 'countersign-web';
export const WEB_CLIENT_SECRET = 'test-client-secret';

const groupsOf = (sub: string): string[] => [...(USERS[sub as UserName]?.groups ?? [])];

/**
 * A real OpenID provider (the `oidc-provider` package) for the web sign-in tests. Its built-in
 * development interactions let any login name sign in (sub = that name) with any password;
 * consent is pre-granted. The ID token carries `groups` from the test users. The same key signs
 * the bearer tokens the tests send to the API, so one issuer backs both paths, as in production.
 */
export class TestOpenIdProvider {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly privateKey: CryptoKey,
  ) {}

  /**
   * `idTokensWithoutGroups`: users whose ID tokens leave the `groups` claim out, as many
   * providers do (groups only in access tokens or at userinfo).
   */
  static async start(
    redirectUri: string,
    options: { idTokensWithoutGroups?: readonly string[] } = {},
  ): Promise<TestOpenIdProvider> {
    const withoutGroups = new Set(options.idTokensWithoutGroups ?? []);
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'op-key', alg: 'RS256', use: 'sig' };
    void publicKey;
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const provider = quietly(
      () =>
        new Provider(url, {
          clients: [
            {
              client_id: WEB_CLIENT_ID,
              client_secret: WEB_CLIENT_SECRET,
              token_endpoint_auth_method: 'client_secret_post',
              redirect_uris: [redirectUri],
              response_types: ['code'],
              grant_types: ['authorization_code'],
            },
          ],
          jwks: { keys: [jwk] },
          cookies: { keys: ['test-oidc-provider-cookie-key'] },
          pkce: { required: () => true },
          claims: { openid: ['sub', 'groups'] },
          conformIdTokenClaims: false,
          findAccount: (_ctx: unknown, sub: string): Account => ({
            accountId: sub,
            claims: () => (withoutGroups.has(sub) ? { sub } : { sub, groups: groupsOf(sub) }),
          }),
          loadExistingGrant: preGrantedConsent,
          ttl: { AccessToken: 600, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
        }),
    );
    server.on('request', provider.callback());
    return new TestOpenIdProvider(server, url, privateKey);
  }

  get jwksUri(): string {
    return `${this.url}/jwks`;
  }

  /** A bearer token for the API from this issuer (what an access token from it would carry). */
  async token(sub: string, options: { groups?: string[] } = {}): Promise<string> {
    return new SignJWT({ groups: options.groups ?? groupsOf(sub) })
      .setProtectedHeader({ alg: 'RS256', kid: 'op-key', typ: 'JWT' })
      .setIssuer(this.url)
      .setAudience('countersign')
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(this.privateKey);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The provider warns at start-up that dev interactions and memory storage are for tests. */
function quietly<T>(build: () => T): T {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    return build();
  } finally {
    console.warn = warn;
  }
}

/** Skips the consent screen: the test client is first-party. */
async function preGrantedConsent(ctx: OidcContext) {
  const { client, session, result, provider } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const existing = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  if (existing) return provider.Grant.find(existing);
  const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  grant.addOIDCScope('openid');
  await grant.save();
  return grant;
}

/** Adds `auth.web` for this provider to a test config whose `corp` issuer is this provider. */
export function withWebSignIn(yaml: string): string {
  return yaml.replace(
    /^auth:\n/m,
    `auth:\n  web:\n    issuer: corp\n    clientId: ${WEB_CLIENT_ID}\n    clientSecret: \${OIDC_CLIENT_SECRET}\n`,
  );
}

/** A tiny cookie jar: the broker and the provider both run on 127.0.0.1, as a browser sees them. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line))
        this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

/**
 * Signs `user` in to the broker's web pages the way a browser would, redirect by redirect, through
 * the provider's login form. Returns the broker's session cookie and where the broker sent us.
 */
export async function signInOverHttp(
  brokerUrl: string,
  user: string,
  returnTo = '/requests',
): Promise<{ cookie: string; location: string; setCookie: string }> {
  const jar = new CookieJar();
  const step = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
    });
    jar.store(response);
    const location = response.headers.get('location');
    return { response, next: location ? new URL(location, url).href : undefined };
  };
  let hop = await step(`${brokerUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  for (let i = 0; i < 10 && hop.next && !hop.next.startsWith(brokerUrl); i += 1) {
    if (/\/interaction\/[^/]+$/.test(hop.next)) {
      hop = await step(hop.next, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ prompt: 'login', login: user, password: 'any' }).toString(),
      });
    } else {
      hop = await step(hop.next);
    }
  }
  if (!hop.next?.startsWith(`${brokerUrl}/auth/callback`)) {
    throw new Error(`the provider did not send us back (${hop.response.status} ${hop.next ?? ''})`);
  }
  const done = await step(hop.next);
  const session = jar.get('cs_session');
  const setCookie = done.response.headers.getSetCookie().find((c) => c.startsWith('cs_session='));
  if (done.response.status !== 303 || !session || !done.next || !setCookie) {
    throw new Error(`the broker did not sign ${user} in (${done.response.status})`);
  }
  return { cookie: `cs_session=${session}`, location: done.next, setCookie };
}
