import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { WebSetup } from '../support/browser.js';
import { launchChromium, startWebBroker } from '../support/browser.js';
import { createRequest, mintQuickGrant } from '../support/flow.js';

const SCREENSHOTS = 'docs/screenshots';

import.meta.jest.setTimeout(30_000);

/** The security team's overview in a real browser (Debian's Chromium): no script, SVG charts, paging. */
describe('the admin dashboard, in Chromium', () => {
  let browser: Browser;
  let web: WebSetup;
  let context: BrowserContext;
  let page: Page;
  const grants: string[] = [];

  beforeAll(async () => {
    [browser, web] = await Promise.all([launchChromium(), startWebBroker('postgres')]);
    for (let i = 0; i < 3; i += 1) grants.push((await mintQuickGrant(web.broker, '10m')).grantId);
    await createRequest(web.broker, 'alice');
    context = await browser.newContext({
      viewport: { width: 1100, height: 900 },
      javaScriptEnabled: false,
    });
    page = await context.newPage();
    await page.goto(`${web.url}/admin`);
    await page.fill('input[name="login"]', 'dave');
    await page.fill('input[name="password"]', 'any password');
    await Promise.all([page.waitForURL(`${web.url}/admin`), page.click('button[type="submit"]')]);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await web?.close();
  });

  it('renders the counts and both charts with scripts off', async () => {
    await expect(page.locator('#count-active .value').textContent()).resolves.toBe('3');
    await expect(page.locator('#count-pending .value').textContent()).resolves.toBe('1');
    const chart = page.locator('#chart-hours svg[role="img"]');
    const box = await chart.boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    expect(box?.height).toBeGreaterThan(100);
    // This hour's issued bar is the tallest: the plot's full height.
    const bars = page.locator('#chart-hours rect.bar.issued');
    expect(await bars.count()).toBe(24);
    await expect(bars.last().getAttribute('height')).resolves.toBe('120');
    expect((await bars.last().boundingBox())?.height).toBeGreaterThan(50);
    await expect(page.locator('#chart-lag svg title').first().textContent()).resolves.toBe(
      'Revocation lag of the latest expiries',
    );
    await page.screenshot({ path: `${SCREENSHOTS}/admin-dashboard.png`, fullPage: true });
    // The numbers behind the picture, one click away (a <details>, no script).
    expect(await page.locator('#chart-hours table.numbers').isVisible()).toBe(false);
    await page.locator('#chart-hours summary').click();
    expect(await page.locator('#chart-hours table.numbers').isVisible()).toBe(true);
  });

  it('follows the paging links through every active grant and back to the first page', async () => {
    await page.goto(`${web.url}/admin/grants?limit=2`);
    const seen: string[] = [];
    const ids = async () => {
      const rows = page.locator('tr[data-grant]');
      const found: string[] = [];
      for (let i = 0; i < (await rows.count()); i += 1) {
        found.push((await rows.nth(i).getAttribute('data-grant')) ?? '');
      }
      return found;
    };
    seen.push(...(await ids()));
    await Promise.all([page.waitForURL(/cursor=/), page.click('a[rel="next"]')]);
    seen.push(...(await ids()));
    expect(await page.locator('a[rel="next"]').count()).toBe(0);
    expect([...seen].sort()).toEqual([...grants].sort());
    await Promise.all([
      page.waitForURL(`${web.url}/admin/grants?limit=2`),
      page.click('a[rel="first"]'),
    ]);
    expect(await ids()).toEqual(seen.slice(0, 2));
  });
});
