import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ApprovalRow, PasskeyRow, UnitOfWork } from '#persistence';
import { auditTrail } from '../support/audit.js';
import type { WebSetup } from '../support/browser.js';
import { addVirtualAuthenticator, launchChromium, startWebBroker } from '../support/browser.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as, createRequest } from '../support/flow.js';
import { SIGNED_ROLE_YAML } from '../support/signed-role.js';

import.meta.jest.setTimeout(90_000);

/**
 * Signed approvals in a real browser (Debian's Chromium via playwright-core) with a CDP virtual
 * authenticator (CTAP2, internal, user verification): on a role whose approvals are signed, bob
 * registers a passkey and approves alice's request with it through the page's script; carol, who
 * has none, is shown where to register one and may still deny. The broker is at `localhost`: an
 * IP address is no WebAuthn relying party id.
 */
describe.each(DATABASE_KINDS)('signed approvals in Chromium on %s', (kind) => {
  let browser: Browser;
  let web: WebSetup;
  const contexts: BrowserContext[] = [];
  const violations: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    web = await startWebBroker(kind, { host: 'localhost', extraYaml: SIGNED_ROLE_YAML });
  });

  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await web?.close();
  });

  const dataSource = () => web.broker.app.get(UnitOfWork).dataSource;

  /** A fresh profile signed in as `user` on the way to `url`, with an authenticator if asked. */
  async function signedIn(user: string, url: string, authenticator: boolean): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
    });
    if (authenticator) {
      await addVirtualAuthenticator(page);
    }
    await page.goto(url);
    await page.fill('input[name="login"]', user);
    await page.fill('input[name="password"]', 'any password');
    await Promise.all([page.waitForURL(url), page.click('button[type="submit"]')]);
    return page;
  }

  const signedRequest = () =>
    createRequest(web.broker, 'alice', { role: 'signed-deploy', duration: '10m' });

  const status = async (id: string) =>
    (
      (await (await as(web.broker, 'alice')).get(`/v1/requests/${id}`).expect(200)).body as {
        status: string;
      }
    ).status;

  it('bob approves with his passkey; carol, without one, is shown where to get one and denies', async () => {
    const request = await signedRequest();
    const link = `${web.url}/requests/${request.id}`;
    const bob = await signedIn('bob', link, true);
    // No passkey yet: no Approve, but the way to register one; Deny is there.
    await expect(bob.locator('button.approve').count()).resolves.toBe(0);
    await expect(bob.locator('button.deny').count()).resolves.toBe(1);
    const list = `${web.url}/me/passkeys`;
    await Promise.all([
      bob.waitForURL(`${list}/new`),
      bob.click('#register-passkey-first a[href="/me/passkeys/new"]'),
    ]);
    await bob.fill('#register-passkey input[name="name"]', 'laptop');
    await Promise.all([bob.waitForURL(list), bob.click('#register-passkey button')]);
    const [passkey] = await dataSource()
      .getRepository(PasskeyRow)
      .findBy({ principal: 'corp:bob' });

    // Back on the request: Approve with passkey, signed by the authenticator, then the page again.
    await bob.goto(link);
    const button = bob.locator('#approve-signed button.approve');
    await expect(button.textContent()).resolves.toBe('Approve with passkey');
    await bob.fill('#approve-signed input[name="comment"]', 'signed off <b>');
    const sent = bob.waitForRequest(
      (posted) => posted.method() === 'POST' && posted.url() === `${link}/approval`,
    );
    await button.click();
    await bob.locator('main p.muted', { hasText: 'This request is approved' }).waitFor();
    const body = JSON.parse((await sent).postData() ?? '{}') as { response: { id: string } };
    expect(body.response.id).toBe(passkey.credentialId);
    await expect(status(request.id)).resolves.toBe('approved');
    await expect(bob.locator('main').textContent()).resolves.toContain('signed off <b>');

    const [approval] = await dataSource()
      .getRepository(ApprovalRow)
      .findBy({ requestId: request.id });
    expect(approval).toMatchObject({
      approver: 'corp:bob',
      comment: 'signed off <b>',
      signature: {
        kind: 'passkey',
        passkeyId: passkey.id,
        credentialId: passkey.credentialId,
        rpId: 'localhost',
        origin: web.url,
      },
    });
    const [recorded] = await auditTrail(web.broker, {
      type: 'approval.recorded',
      requestId: request.id,
    });
    expect(recorded.data).toMatchObject({ signature: 'passkey', passkeyId: passkey.id });

    // carol may approve this role but has no passkey: the notice and its link, no Approve; Deny.
    const other = await signedRequest();
    const otherLink = `${web.url}/requests/${other.id}`;
    const carol = await signedIn('carol', otherLink, false);
    const notice = carol.locator('#register-passkey-first');
    await expect(notice.textContent()).resolves.toMatch(
      /This role's approvals are signed with your passkey:\s+register one first/,
    );
    await expect(notice.locator('a').getAttribute('href')).resolves.toBe('/me/passkeys/new');
    await expect(carol.locator('button.approve').count()).resolves.toBe(0);
    await expect(carol.locator('script').count()).resolves.toBe(0);
    await carol.fill('input[name="reason"]', 'not this week');
    await Promise.all([carol.waitForURL(otherLink), carol.click('button.deny')]);
    await expect(status(other.id)).resolves.toBe('denied');
    expect(violations).toEqual([]);
  });
});
