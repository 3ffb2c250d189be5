import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { TestBroker } from './broker.js';
import { startBroker, testConfigYaml } from './broker.js';
import type { DatabaseKind } from './databases.js';
import { TestOpenIdProvider, WEB_CLIENT_SECRET, withWebSignIn } from './oidc-provider.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A port nobody listens on right now, for a broker that must be reachable by a browser. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Debian's Chromium, headless. Missing, it fails loudly: CI installs it (.ci/run). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A CDP virtual authenticator on the page's browser context (CTAP2, internal, with user
 * verification), so WebAuthn ceremonies run without a person at a device.
 */
export async function addVirtualAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
}

export interface WebSetup {
  broker: TestBroker;
  provider: TestOpenIdProvider;
  /** The broker's public URL, where it listens. */
  url: string;
  close(): Promise<void>;
}

/**
 * A broker listening on a real port, signing web users in at a real OpenID provider that is also
 * the `corp` issuer of its bearer tokens.
 */
export async function startWebBroker(
  kind: DatabaseKind,
  options: {
    extraYaml?: string;
    env?: Record<string, string>;
    /** Edits the whole config, for keys `extraYaml` cannot reach (owners, policy.approverBots). */
    editYaml?: (yaml: string) => string;
    idTokensWithoutGroups?: readonly string[];
    /** The public URL's host: `localhost` where an IP address will not do (a WebAuthn RP id). */
    host?: string;
  } & Partial<Pick<Parameters<typeof startBroker>[0], 'clock'>> = {},
): Promise<WebSetup> {
  const port = await freePort();
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  const provider = await TestOpenIdProvider.start(`${url}/auth/callback`, {
    idTokensWithoutGroups: options.idTokensWithoutGroups,
  });
  const edit = options.editYaml ?? ((yaml: string) => yaml);
  try {
    const broker = await startBroker({
      kind,
      issuer: provider,
      yaml: edit(withWebSignIn(testConfigYaml(provider, options.extraYaml))),
      env: {
        PORT: String(port),
        PUBLIC_URL: url,
        OIDC_CLIENT_SECRET: WEB_CLIENT_SECRET,
        ...options.env,
      },
      clock: options.clock,
      listen: true,
    });
    return {
      broker,
      provider,
      url,
      close: async () => {
        await broker.close();
        await provider.close();
      },
    };
  } catch (error) {
    await provider.close();
    throw error;
  }
}
