import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { refusalsOf } from '../support/audit.js';
import type { WebSetup } from '../support/browser.js';
import { launchChromium, startWebBroker } from '../support/browser.js';
import { FakeSlack } from '../support/fake-slack.js';
import { as, createRequest, eventually } from '../support/flow.js';

const SCREENSHOTS = 'docs/screenshots';

// Each step is a real page load; the whole file stays well under a minute.
import.meta.jest.setTimeout(30_000);

const slackYaml = (apiUrl: string) => `
slack:
  signingSecret: \${SLACK_SIGNING_SECRET}
  botToken: \${SLACK_BOT_TOKEN}
  channel: C0123456
  apiUrl: ${apiUrl}
`;

/**
 * docs/api.md §6 in a real browser (Debian's Chromium via playwright-core) against a real OpenID
 * provider: the link from the Slack message, sign-in, approval, and the security team's page.
 */
describe('approving on the web, in Chromium', () => {
  let browser: Browser;
  let slack: FakeSlack;
  let web: WebSetup;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [browser, slack] = await Promise.all([launchChromium(), FakeSlack.start()]);
    web = await startWebBroker('postgres', {
      extraYaml: slackYaml(slack.apiUrl),
      env: { SLACK_SIGNING_SECRET: 'test-secret', SLACK_BOT_TOKEN: 'xoxb-test' },
    });
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await web?.close();
    await slack?.close();
  });

  /** A fresh browser profile, signed in as `user` at the provider on the way to `url`. */
  async function signedIn(user: string, url: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(url);
    // The provider's own login form: any login name, any password.
    await page.fill('input[name="login"]', user);
    await page.fill('input[name="password"]', 'any password');
    await Promise.all([page.waitForURL(url), page.click('button[type="submit"]')]);
    return page;
  }

  const status = async (id: string) =>
    (await (await as(web.broker, 'alice')).get(`/v1/requests/${id}`).expect(200)).body as {
      status: string;
      approvals: { approver: string }[];
    };

  it('bob approves from the Slack link; alice cannot approve her own; alice then mints', async () => {
    const request = await createRequest(web.broker, 'alice', {
      role: 'prod-db-admin',
      duration: '30m',
      justification: 'INC-4242: payouts stuck, need to re-run the settlement job',
    });
    const posted = await eventually(() => slack.channelCall('chat.postMessage', request.id), 5000);
    const link = `${web.url}/requests/${request.id}`;
    expect(JSON.stringify(posted.args.blocks)).toContain(link);

    // A link scanner or chat unfurler fetches the link first: it is sent to sign in, nothing more.
    const scanned = await fetch(link, { redirect: 'manual' });
    expect(scanned.status).toBe(303);
    expect(await status(request.id)).toMatchObject({ status: 'pending', approvals: [] });

    // Alice sees her request without an Approve button, and why.
    const alice = await signedIn('alice', link);
    expect(await alice.locator('button', { hasText: 'Approve' }).count()).toBe(0);
    await expect(alice.locator('#refusal').textContent()).resolves.toContain('self_approval');
    // A forged POST carrying her session's valid form token is refused by the use case.
    const csrf = await alice.locator('input[name="csrf"]').first().inputValue();
    const forged = await alice.context().request.post(`${link}/approve`, { form: { csrf } });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('self_approval');
    const { refused } = await refusalsOf(web.broker, { requestId: request.id });
    expect(refused).toEqual([
      expect.objectContaining({ type: 'approval.refused', reason: 'self_approval' }),
    ]);
    // Without the form token, nothing reaches the use case.
    const tokenless = await alice.context().request.post(`${link}/cancel`, { form: {} });
    expect(tokenless.status()).toBe(403);
    expect(await status(request.id)).toMatchObject({ status: 'pending', approvals: [] });

    // Bob opens the link, signs in at the provider, lands on the request and approves.
    const bob = await signedIn('bob', link);
    for (const shown of [
      'prod-db-admin',
      'postgres://prod/payments',
      'corp:alice',
      '30m',
      'INC-4242',
    ])
      await expect(bob.locator('main').textContent()).resolves.toContain(shown);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await bob.screenshot({ path: `${SCREENSHOTS}/request-page.png`, fullPage: true });
    await bob.fill('input[name="comment"]', 'pairing with alice on it');
    await Promise.all([bob.waitForURL(link), bob.click('button.approve')]);
    await expect(bob.locator('main').textContent()).resolves.toContain('This request is approved');
    expect(await status(request.id)).toMatchObject({
      status: 'approved',
      approvals: [{ approver: 'corp:bob' }],
    });

    const minted = await (
      await as(web.broker, 'alice')
    )
      .post(`/v1/requests/${request.id}/credentials`)
      .expect(201);
    expect(minted.body.credential.type).toBe('jwt');
  });

  it('dave, an admin, sees the active grants and revokes one', async () => {
    const admin = await signedIn('dave', `${web.url}/admin`);
    await Promise.all([
      admin.waitForURL(`${web.url}/admin/chain`),
      admin.click('a[href="/admin/chain"]'),
    ]);
    await expect(admin.locator('#chain').textContent()).resolves.toContain('intact');
    await admin.goto(`${web.url}/admin`);
    const revoke = admin.locator('form[action^="/admin/grants/"]').first();
    const action = (await revoke.getAttribute('action')) ?? '';
    const grantId = /\/admin\/grants\/([0-9a-f-]{36})\/revoke/.exec(action)?.[1];
    expect(grantId).toBeDefined();
    await admin.screenshot({ path: `${SCREENSHOTS}/admin-grants.png`, fullPage: true });
    await revoke.locator('input[name="reason"]').fill('incident closed');
    await Promise.all([admin.waitForURL(`${web.url}/admin`), revoke.locator('button').click()]);
    expect(await admin.locator(`form[action="${action}"]`).count()).toBe(0);
    const grant = await (await as(web.broker, 'dave')).get(`/v1/grants/${grantId}`).expect(200);
    expect(grant.body).toMatchObject({ status: 'revoked', revokedReason: 'incident closed' });
  });
});
