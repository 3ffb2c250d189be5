import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { WebSetup } from '../support/browser.js';
import { launchChromium, startWebBroker } from '../support/browser.js';
import { as } from '../support/flow.js';

const SCREENSHOTS = 'docs/screenshots';

import.meta.jest.setTimeout(60_000);

interface RequestBody {
  id: string;
  status: string;
  justification?: string;
  intent?: { actions: string[] };
  grantId?: string;
  extends?: string;
}

/**
 * The requester's page in a real browser (Debian's Chromium via playwright-core) against a real
 * OpenID provider: request → (an approver approves in another browser) → collect once → extend.
 */
describe('requesting on the web, in Chromium', () => {
  let browser: Browser;
  let web: WebSetup;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    web = await startWebBroker('postgres');
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await web?.close();
  });

  /** A fresh browser profile (allowed the clipboard), signed in as `user` on the way to `url`. */
  async function signedIn(user: string, url: string): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1100, height: 900 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(url);
    await page.fill('input[name="login"]', user);
    await page.fill('input[name="password"]', 'any password');
    await Promise.all([page.waitForURL(url), page.click('button[type="submit"]')]);
    return page;
  }

  const alicesRequests = async (): Promise<RequestBody[]> => {
    const list = await (await as(web.broker, 'alice')).get('/v1/requests?mine=true').expect(200);
    return (list.body as { items: RequestBody[] }).items;
  };

  /** bob, in his own browser, opens the request's page and approves it. */
  async function bobApproves(bob: Page, requestId: string): Promise<void> {
    const link = `${web.url}/requests/${requestId}`;
    await bob.goto(link);
    await Promise.all([bob.waitForURL(link), bob.click('button.approve')]);
    await expect(bob.locator('main').textContent()).resolves.toContain('approved');
  }

  it('alice requests, bob approves, alice collects once and extends', async () => {
    const me = `${web.url}/me`;
    const alice = await signedIn('alice', me);
    const violations: string[] = [];
    alice.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
    });
    alice.on('dialog', (dialog) => void dialog.accept());

    // The request: from the role's row to its form, narrowed to reading.
    await Promise.all([
      alice.waitForURL(`${me}/request?role=prod-db-admin`),
      alice.click('a[href="/me/request?role=prod-db-admin"]'),
    ]);
    await alice.fill('input[name="duration"]', '20m');
    await alice.fill('textarea[name="justification"]', 'INC-77: settlement re-run');
    await alice.check('input[name="actions"][value="db:read"]');
    await Promise.all([alice.waitForURL(me), alice.click('#request-form button[type="submit"]')]);
    const filed = (await alicesRequests()).find((r) => r.justification?.startsWith('INC-77'));
    expect(filed).toMatchObject({ status: 'pending', intent: { actions: ['db:read'] } });
    const id = filed?.id ?? '';
    await expect(alice.locator(`#request-${id}`).textContent()).resolves.toContain(
      '0 of 1 approvals so far',
    );

    // bob approves elsewhere; alice's page offers the credential.
    const bob = await signedIn('bob', `${web.url}/requests/${id}`);
    await bobApproves(bob, id);
    await alice.reload();
    await Promise.all([
      alice.waitForURL(`${me}/requests/${id}/collect`),
      alice.click(`#request-${id} button[type="submit"]`),
    ]);
    const token = (await alice.locator('#copy-token').textContent()) ?? '';
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    await expect(alice.locator('#copy-export').textContent()).resolves.toBe(
      `export COUNTERSIGN_CREDENTIAL='${token}'`,
    );
    // The copy script ran under the page's policy: its buttons are shown, and they copy.
    await alice.click('button[data-copy="copy-token"]');
    await alice.locator('button[data-copy="copy-token"]', { hasText: 'Copied' }).waitFor();
    await expect(alice.evaluate<string>('navigator.clipboard.readText()')).resolves.toBe(token);
    await alice.click('button[data-copy="copy-export"]');
    await alice.locator('button[data-copy="copy-export"]', { hasText: 'Copied' }).waitFor();
    await expect(alice.evaluate<string>('navigator.clipboard.readText()')).resolves.toBe(
      `export COUNTERSIGN_CREDENTIAL='${token}'`,
    );

    // Shown once: reloading re-sends the POST, which is refused; back and forward show no token.
    await alice.reload();
    await expect(alice.content()).resolves.not.toContain(token);
    await expect(alice.locator('main').textContent()).resolves.toContain('already issued');
    await alice.goBack();
    expect(alice.url()).toBe(me);
    await expect(alice.content()).resolves.not.toContain(token);
    // Forward to the answer: it was not kept (no-store), so Chromium would have to send the form
    // again and shows its own error page instead.
    await expect(alice.goForward()).rejects.toThrow(/ERR_CACHE_MISS/);
    await alice.waitForURL(/^chrome-error:/);
    await expect(alice.content()).resolves.not.toContain(token);

    // The grant, with its time left; then more time on it.
    await alice.goto(me);
    const grantId = (await alicesRequests()).find((r) => r.id === id)?.grantId ?? '';
    const row = alice.locator(`#grant-${grantId}`);
    await expect(row.locator('td.left').textContent()).resolves.toMatch(/^(20m 00s|19m \d\ds)$/);
    await row.locator('input[name="duration"]').fill('30m');
    await row.locator('input[name="justification"]').fill('INC-77 still open');
    await Promise.all([alice.waitForURL(me), row.locator('button', { hasText: 'Extend' }).click()]);
    await expect(row.textContent()).resolves.toContain('extension pending');
    const extension = (await alicesRequests()).find((r) => r.extends === grantId);
    expect(extension).toMatchObject({ status: 'pending' });
    const extensionId = extension?.id ?? '';

    await bobApproves(bob, extensionId);
    await alice.reload();
    mkdirSync(SCREENSHOTS, { recursive: true });
    await alice.screenshot({ path: `${SCREENSHOTS}/requester-page.png`, fullPage: true });
    const before = await (await as(web.broker, 'alice')).get(`/v1/grants/${grantId}`).expect(200);
    await Promise.all([
      alice.waitForURL(`${me}/requests/${extensionId}/collect`),
      alice.click(`#request-${extensionId} button[type="submit"]`),
    ]);
    await expect(alice.locator('#extended').textContent()).resolves.toContain('now ends at');
    const after = await (await as(web.broker, 'alice')).get(`/v1/grants/${grantId}`).expect(200);
    const moved =
      new Date((after.body as { expiresAt: string }).expiresAt).getTime() -
      new Date((before.body as { expiresAt: string }).expiresAt).getTime();
    expect(moved).toBe(30 * 60 * 1000);
    expect(violations).toEqual([]);
  });
});
