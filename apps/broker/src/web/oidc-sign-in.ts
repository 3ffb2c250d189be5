import * as client from 'openid-client';
import type { WebSignInConfig } from '#config';
import type { JWTPayload } from 'jose';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Plain http is allowed only to an identity provider on this machine (tests, local trials). */
function allowsInsecure(issuer: URL): boolean {
  return issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);
}

export interface LoginChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/**
 * OpenID Connect authorization code + PKCE (docs/api.md §6) via openid-client: discovery from the
 * configured issuer (its metadata's `issuer` must match), the redirect, and the code exchange
 * whose ID token is checked for issuer, audience, expiry and nonce.
 */
export class OidcSignIn {
  private discovered?: Promise<client.Configuration>;

  constructor(
    private readonly web: WebSignInConfig,
    private readonly publicUrl: string,
  ) {}

  get redirectUri(): string {
    return `${this.publicUrl}/auth/callback`;
  }

  static newChecks(): LoginChecks {
    return {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
    };
  }

  async authorizationUrl(checks: LoginChecks): Promise<URL> {
    const configuration = await this.configuration();
    return client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: 'openid',
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /** The verified ID token's claims for the callback's query, or a thrown error. */
  async complete(query: URLSearchParams, checks: LoginChecks): Promise<JWTPayload> {
    const configuration = await this.configuration();
    const current = new URL(this.redirectUri);
    current.search = query.toString();
    const tokens = await client.authorizationCodeGrant(configuration, current, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims) throw new Error('no ID token');
    return claims;
  }

  /** Discovered once and kept; a failed discovery is retried at the next sign-in. */
  private configuration(): Promise<client.Configuration> {
    if (!this.discovered) {
      const issuer = new URL(this.web.issuer.issuer);
      const secret = this.web.clientSecret;
      this.discovered = client
        .discovery(issuer, this.web.clientId, secret, secret ? undefined : client.None(), {
          execute: allowsInsecure(issuer) ? [client.allowInsecureRequests] : [],
          timeout: 10,
        })
        .catch((error: unknown) => {
          this.discovered = undefined;
          throw error;
        });
    }
    return this.discovered;
  }
}
