import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FixedClock } from '#domain';
import { PasskeyRow, UnitOfWork } from '#persistence';
import { auditTrail, refusalsOf } from '../support/audit.js';
import type { WebSetup } from '../support/browser.js';
import { addVirtualAuthenticator, launchChromium, startWebBroker } from '../support/browser.js';
import { DATABASE_KINDS } from '../support/databases.js';

import.meta.jest.setTimeout(90_000);

/**
 * Passkeys in a real browser (Debian's Chromium via playwright-core) with a CDP virtual
 * authenticator (CTAP2, internal, user verification): alice registers one, sees it, renames it,
 * removes it; a replayed registration response and a reused challenge are refused; removal from
 * a sign-in older than five minutes is refused. The broker is at `localhost`: an IP address is
 * no WebAuthn relying party id.
 */
describe.each(DATABASE_KINDS)('passkeys in Chromium on %s', (kind) => {
  let browser: Browser;
  let web: WebSetup;
  let context: BrowserContext;
  // Fixed, so a sign-in can be made five minutes old without waiting.
  const clock = new FixedClock(new Date());

  beforeAll(async () => {
    browser = await launchChromium();
    web = await startWebBroker(kind, { clock, host: 'localhost' });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await web?.close();
  });

  async function signedInWithAuthenticator(user: string, url: string): Promise<Page> {
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    await addVirtualAuthenticator(page);
    await page.goto(url);
    await page.fill('input[name="login"]', user);
    await page.fill('input[name="password"]', 'any password');
    await Promise.all([page.waitForURL(url), page.click('button[type="submit"]')]);
    return page;
  }

  /** Registers a passkey named `name` from the registration page; returns the JSON body sent. */
  async function register(page: Page, name: string): Promise<string> {
    const list = `${web.url}/me/passkeys`;
    await page.goto(`${list}/new`);
    await page.fill('#register-passkey input[name="name"]', name);
    const sent = page.waitForRequest(
      (request) => request.method() === 'POST' && request.url() === `${list}/registration`,
    );
    await Promise.all([page.waitForURL(list), page.click('#register-passkey button')]);
    const body = (await sent).postData();
    if (!body) throw new Error('the registration posted nothing');
    return body;
  }

  const cookieOf = async (): Promise<string> => {
    const session = (await context.cookies()).find((cookie) => cookie.name === 'cs_session');
    if (!session) throw new Error('no session cookie');
    return `cs_session=${session.value}`;
  };

  it('registers, lists, renames and removes; replays and stale sign-ins are refused', async () => {
    const list = `${web.url}/me/passkeys`;
    const alice = await signedInWithAuthenticator('alice', list);
    const violations: string[] = [];
    alice.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
    });
    await expect(alice.locator('#no-passkeys').textContent()).resolves.toContain('no passkey');

    const sent = await register(alice, 'laptop <b>');
    const row = alice.locator('#passkeys tbody tr');
    await expect(row.count()).resolves.toBe(1);
    await expect(row.locator('.passkey-name').textContent()).resolves.toBe('laptop <b>');
    await expect(row.textContent()).resolves.toContain('never');
    const [registered] = await auditTrail(web.broker, { type: 'passkey.registered' });
    expect(registered).toMatchObject({
      actor: 'corp:alice',
      data: {
        name: 'laptop <b>',
        publicKeyId: (JSON.parse(sent) as { response: { id: string } }).response.id,
      },
    });
    expect(Object.keys(registered.data).sort()).toEqual([
      'aaguid',
      'name',
      'passkeyId',
      'publicKey',
      'publicKeyId',
    ]);
    // The public key as stored: the registration record evidence bundles cite.
    const stored = await web.broker.app
      .get(UnitOfWork)
      .dataSource.getRepository(PasskeyRow)
      .findOneByOrFail({ id: registered.data.passkeyId as string });
    expect(registered.data.publicKey).toBe(stored.publicKey);

    // The response replayed: its challenge was used up when it was verified.
    const cookie = await cookieOf();
    const replayed = await web.broker.http
      .post('/me/passkeys/registration')
      .set('cookie', cookie)
      .set('content-type', 'application/json')
      .send(sent)
      .expect(400);
    expect(replayed.body).toMatchObject({ reason: 'registration_invalid' });
    // Nor does it answer a new challenge: that one is not the challenge it signed.
    const { csrf } = JSON.parse(sent) as { csrf: string };
    await web.broker.http
      .post('/me/passkeys/registration/options')
      .set('cookie', cookie)
      .send({ csrf })
      .expect(200);
    const mismatched = await web.broker.http
      .post('/me/passkeys/registration')
      .set('cookie', cookie)
      .set('content-type', 'application/json')
      .send(sent)
      .expect(400);
    expect(mismatched.body.message).toMatch(/challenge/i);
    const { refused } = await refusalsOf(web.broker, { type: 'passkey.refused' });
    expect(refused.map((event) => event.reason)).toEqual([
      'registration_invalid',
      'registration_invalid',
    ]);

    // Renamed, then removed while the sign-in is fresh.
    await alice.reload();
    await row.locator('input[name="name"]').fill('work laptop');
    await Promise.all([
      alice.waitForURL(list),
      row.locator('button', { hasText: 'Rename' }).click(),
    ]);
    await expect(row.locator('.passkey-name').textContent()).resolves.toBe('work laptop');
    await Promise.all([alice.waitForURL(list), row.locator('button.revoke').click()]);
    await expect(alice.locator('#no-passkeys').textContent()).resolves.toContain('no passkey');
    const changes = await auditTrail(web.broker, { actor: 'corp:alice' });
    expect(
      changes
        .filter((event) => /^passkey\.(renamed|removed)$/.test(event.type))
        .map((e) => [e.type, e.data.name]),
    ).toEqual([
      ['passkey.renamed', 'work laptop'],
      ['passkey.removed', 'work laptop'],
    ]);

    // A second passkey, then the sign-in grows five minutes old: removal is refused in words.
    await register(alice, 'security key');
    clock.advance(5 * 60);
    await alice.reload();
    await expect(alice.locator('#sign-in-again').textContent()).resolves.toContain('sign in again');
    await row.locator('button.revoke').click();
    await expect(alice.locator('main').textContent()).resolves.toContain(
      'removing a passkey needs a sign-in of the last 5 minutes',
    );
    await alice.goto(list);
    await expect(row.locator('.passkey-name').textContent()).resolves.toBe('security key');
    const stale = await refusalsOf(web.broker, { type: 'passkey.refused' });
    expect(stale.refused.at(-1)).toMatchObject({ action: 'remove', reason: 'sign_in_stale' });
    expect(violations).toEqual([]);
  });
});
