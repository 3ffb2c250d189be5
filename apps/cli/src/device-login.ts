import * as oidc from 'openid-client';
import type { Fetch } from './broker-client.js';
import { CliError, ExitCode } from './exit-codes.js';

export interface DeviceLoginOptions {
  issuer: string;
  clientId: string;
  scope: string;
  /** Store the ID token instead of the access token (when the broker's audience is the client id). */
  useIdToken: boolean;
  fetch: Fetch;
  /** Tells the person where to go and which code to type. */
  prompt: (verificationUri: string, userCode: string, completeUri?: string) => void;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * OAuth 2.0 device authorization grant (RFC 8628) through openid-client: discover the issuer,
 * show the verification URL and user code, poll until the person approves. Plain http is allowed
 * only for an issuer on this machine (development).
 */
export async function deviceLogin(options: DeviceLoginOptions): Promise<string> {
  const issuer = new URL(options.issuer);
  let config: oidc.Configuration;
  try {
    config = await oidc.discovery(issuer, options.clientId, undefined, oidc.None(), {
      [oidc.customFetch]: options.fetch,
      ...(issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname)
        ? { execute: [oidc.allowInsecureRequests] }
        : {}),
    });
  } catch (error) {
    throw oidcError(`cannot discover the issuer ${issuer.href}`, error);
  }
  if (!config.serverMetadata().device_authorization_endpoint) {
    throw new CliError(ExitCode.usage, `${issuer.href} does not offer the device flow`, {
      code: 'device_flow_unsupported',
      hint: 'get a token from your identity provider and pipe it into `countersign login`',
    });
  }
  try {
    const started = await oidc.initiateDeviceAuthorization(config, { scope: options.scope });
    options.prompt(started.verification_uri, started.user_code, started.verification_uri_complete);
    const tokens = await oidc.pollDeviceAuthorizationGrant(config, started);
    const token = options.useIdToken ? tokens.id_token : tokens.access_token;
    if (!token) {
      throw new CliError(ExitCode.unauthenticated, 'the issuer returned no ID token', {
        code: 'unauthenticated',
        hint: 'include the openid scope, or drop --id-token',
      });
    }
    return token;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw oidcError('device sign-in failed', error);
  }
}

function oidcError(what: string, error: unknown): CliError {
  const oauthCode = (error as { error?: unknown }).error;
  const detail =
    typeof oauthCode === 'string'
      ? oauthCode
      : error instanceof Error
        ? error.message
        : 'unknown error';
  return new CliError(ExitCode.unauthenticated, `${what}: ${detail}`, {
    code: 'unauthenticated',
    hint: 'check --issuer and --client-id, then run `countersign login` again',
  });
}
