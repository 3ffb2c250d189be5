import { randomUUID } from 'node:crypto';
import { ExpireGrants } from '#access';
import { FixedClock } from '#domain';
import { GrantRepository, GrantRow, UnitOfWork } from '#persistence';
import { auditHead } from '../support/audit.js';
import type { WebSetup } from '../support/browser.js';
import { startWebBroker } from '../support/browser.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as, createRequest, eventually, mintQuickGrant } from '../support/flow.js';
import { signInOverHttp } from '../support/oidc-provider.js';

const HOUR = 3_600_000;

/** A 10-minute grant issued at `issuedAt` and never ended. */
function overdue(issuedAt: Date): GrantRow {
  return Object.assign(new GrantRow(), {
    id: overdueGrant,
    requestId: randomUUID(),
    role: 'quick',
    resource: 'https://quick.example.com',
    recipient: 'corp:alice',
    actions: ['run'],
    approvers: ['corp:bob'],
    status: 'active',
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + 10 * 60_000),
    endedAt: null,
    revokedReason: null,
    revokedBy: null,
    revocationFailures: 0,
    nextRevocationAt: null,
    kid: 'key-1',
    breakGlass: false,
    act: null,
  });
}
const MINUTE = 60_000;
const overdueGrant = randomUUID();

const breakGlassRole = `    - name: emergency
      resource: postgres://prod/payments
      actions: [db:read]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      breakGlass:
        maxDuration: 10m
        reviewWithin: 1h
        notify: { slack: false }
`;

/** Every bar of a chart on the page, as `series@group` → its height. */
function barsOf(page: string, chartId: string): Map<string, number> {
  const start = page.indexOf(`<figure class="chart" id="${chartId}">`);
  if (start < 0) throw new Error(`no chart ${chartId}`);
  const figure = page.slice(start, page.indexOf('</figure>', start));
  const bars = new Map<string, number>();
  for (const rect of figure.matchAll(/<rect\s+class="bar (\w+)"([^>]*)>/g)) {
    const height = /height="([\d.]+)"/.exec(rect[2])?.[1];
    const group = /data-group="([^"]+)"/.exec(rect[2])?.[1];
    bars.set(`${rect[1]}@${group}`, Number(height));
  }
  return bars;
}

const countOf = (page: string, id: string): string | undefined =>
  new RegExp(`id="count-${id}"[^>]*><span class="value">([^<]+)</span>`).exec(page)?.[1];

const hourLabel = (at: number) => `${new Date(at).toISOString().slice(11, 13)}:00`;

/** docs/api.md §6, the security team's overview: counts, charts, paged lists, its own views. */
describe.each(DATABASE_KINDS)('the admin dashboard on %s', (kind) => {
  let web: WebSetup;
  // Grants are issued and ended at known instants of the last 24 hours; tokens use real time.
  const hourStart = Math.floor(Date.now() / HOUR) * HOUR;
  const clock = new FixedClock(new Date(hourStart - 5 * HOUR + MINUTE));
  let dave: {
    cookie: string;
    get: (path: string) => ReturnType<WebSetup['broker']['http']['get']>;
  };
  const grantsOf: Record<string, string[]> = { active: [], pending: [] };
  let breakGlassRequest = '';

  beforeAll(async () => {
    web = await startWebBroker(kind, { clock, extraYaml: breakGlassRole });
    // 5 hours ago: two grants of 10 minutes, which expire 2.5 s late.
    await mintQuickGrant(web.broker, '10m');
    await mintQuickGrant(web.broker, '10m');
    clock.set(new Date(hourStart - 5 * HOUR + 11 * MINUTE + 2_500));
    expect((await web.broker.app.get(ExpireGrants).expireDue('sweep')).ended).toBe(2);
    // 2 hours ago: one, revoked two minutes later.
    clock.set(new Date(hourStart - 2 * HOUR + MINUTE));
    const revoked = await mintQuickGrant(web.broker, '10m');
    clock.advance(120);
    await (
      await as(web.broker, 'dave')
    )
      .post(`/v1/grants/${revoked.grantId}/revoke`, { reason: 'done' })
      .expect(200);
    // This hour: three grants of an hour, a break-glass activation and two pending requests.
    clock.set(new Date(hourStart + MINUTE));
    const bob = await as(web.broker, 'bob');
    const alice = await as(web.broker, 'alice');
    for (let i = 0; i < 3; i += 1) {
      const request = await createRequest(web.broker, 'alice', {
        role: 'prod-db-admin',
        duration: '1h',
        justification: `INC-${i}`,
      });
      await bob.post(`/v1/requests/${request.id}/approve`).expect(200);
      await alice.post(`/v1/requests/${request.id}/credentials`).expect(201);
    }
    const activated = await alice
      .post('/v1/break-glass', { role: 'emergency', duration: '10m', justification: 'outage' })
      .expect(201);
    breakGlassRequest = (activated.body as { requestId: string }).requestId;
    for (let i = 0; i < 2; i += 1) {
      grantsOf.pending.push((await createRequest(web.broker, 'alice')).id);
    }
    // 1 hour ago: one whose revocation never came (inserted: the broker would have ended it).
    await new GrantRepository().insert(
      web.broker.app.get(UnitOfWork).dataSource.manager,
      overdue(new Date(hourStart - HOUR + MINUTE)),
    );
    clock.set(new Date(hourStart + 2 * MINUTE));
    const listed = await (await as(web.broker, 'dave')).get('/v1/grants?status=active').expect(200);
    grantsOf.active = (listed.body as { items: { id: string }[] }).items.map((g) => g.id);
    expect(grantsOf.active).toHaveLength(5);
    const cookie = (await signInOverHttp(web.url, 'dave')).cookie;
    dave = { cookie, get: (path: string) => web.broker.http.get(path).set('cookie', cookie) };
  });

  afterAll(async () => {
    await web?.close();
  });

  /** The overview once the audit log has integrated the 3 ends (the ended chart reads it). */
  async function overview(): Promise<string> {
    return eventually(async () => {
      const page = (await dave.get('/admin').expect(200)).text;
      return page.includes('and 3 ended') ? page : undefined;
    }, 10_000);
  }

  it('counts pending, active, overdue and unreviewed break-glass, linking each to its view', async () => {
    const page = await overview();
    expect(countOf(page, 'pending')).toBe('2');
    expect(countOf(page, 'active')).toBe('5');
    expect(countOf(page, 'overdue')).toBe('1');
    expect(countOf(page, 'break-glass')).toBe('1');
    for (const href of ['/admin/requests', '/admin/grants', '/admin/grants/overdue']) {
      expect(page).toContain(`href="${href}"`);
    }
    expect(page).toContain('href="/admin/break-glass"');
  });

  it('charts grants issued and ended per hour, a bar per hour at the right height', async () => {
    const page = await overview();
    const bars = barsOf(page, 'chart-hours');
    // 24 hours × issued, expired, revoked.
    expect(bars.size).toBe(72);
    const at = (hoursAgo: number) => hourLabel(hourStart - hoursAgo * HOUR);
    // The tallest bar is this hour's 4 issued: 120 px; the others in proportion.
    const expected = new Map([
      [`issued@${at(5)}`, 60],
      [`expired@${at(5)}`, 60],
      [`issued@${at(2)}`, 30],
      [`revoked@${at(2)}`, 30],
      [`issued@${at(1)}`, 30],
      [`issued@${at(0)}`, 120],
    ]);
    for (const [bar, height] of bars) expect([bar, height]).toEqual([bar, expected.get(bar) ?? 0]);
    expect(page).toMatch(/<title id="chart-hours-title">Grants issued and ended per hour/);
    expect(page).toContain('aria-labelledby="chart-hours-title chart-hours-desc"');
    expect(page).toContain('8 grants issued and 3 ended');
    // The numbers as a table too.
    expect(page).toMatch(new RegExp(`<td>${at(5)}</td>\\s*<td>2</td>\\s*<td>2</td>\\s*<td>0</td>`));
  });

  it('charts the revocation lag of the latest expiries from the audit log', async () => {
    const page = await overview();
    const bars = barsOf(page, 'chart-lag');
    expect([...bars.entries()]).toEqual([
      ['expiries@≤ 100 ms', 0],
      ['expiries@≤ 1 s', 0],
      ['expiries@≤ 10 s', 120],
      ['expiries@≤ 1 min', 0],
      ['expiries@≤ 10 min', 0],
      ['expiries@over 10 min', 0],
    ]);
    expect(page).toContain('latest 2 grants that expired');
  });

  it('shows the time left on every active grant, paged to the end with none twice', async () => {
    const seen: string[] = [];
    let path: string | undefined = '/admin/grants?limit=2';
    let pages = 0;
    while (path) {
      const page: string = (await dave.get(path).expect(200)).text;
      seen.push(...[...page.matchAll(/<tr data-grant="([0-9a-f-]{36})"/g)].map((m) => m[1]));
      expect(page).toMatch(/<td class="left">\s*(59m 00s|9m 00s|<strong>overdue by 51m 00s)/);
      path = /href="([^"]+)" rel="next"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(grantsOf.active));
    const first = (await dave.get('/admin/grants?limit=2').expect(200)).text;
    expect(first).toContain('59m 00s');
    expect(first).not.toContain('rel="first"');
  });

  it('pages the pending requests to the end, and has views of overdue grants and break-glass', async () => {
    const seen: string[] = [];
    let path: string | undefined = '/admin/requests?limit=1';
    while (path) {
      const page: string = (await dave.get(path).expect(200)).text;
      seen.push(...[...page.matchAll(/href="\/requests\/([0-9a-f-]{36})"/g)].map((m) => m[1]));
      path = /href="([^"]+)" rel="next"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
    }
    expect(seen.sort()).toEqual([...grantsOf.pending].sort());

    const overdue = (await dave.get('/admin/grants/overdue').expect(200)).text;
    expect([...overdue.matchAll(/<tr data-grant="([0-9a-f-]{36})"/g)].map((m) => m[1])).toEqual([
      overdueGrant,
    ]);
    expect(overdue).toContain('overdue by 51m 00s');
    const breakGlass = (await dave.get('/admin/break-glass').expect(200)).text;
    expect(
      [...breakGlass.matchAll(/href="\/requests\/([0-9a-f-]{36})"/g)].map((m) => m[1]),
    ).toEqual([breakGlassRequest]);
  });

  it('refuses a cursor it did not make and any other parameter (400), and changes nothing', async () => {
    const before = await auditHead(web.broker);
    await dave.get('/admin/grants?cursor=bm90LWEtY3Vyc29y').expect(400);
    await dave.get('/admin/requests?limit=0').expect(400);
    await dave.get('/admin/break-glass?status=all').expect(400);
    for (const path of ['/admin', '/admin/grants', '/admin/grants/overdue', '/admin/break-glass']) {
      await dave.get(path).expect(200);
    }
    expect(await auditHead(web.broker)).toEqual(before);
  });

  it('answers 404 to anyone but an admin, on every view', async () => {
    const bob = (await signInOverHttp(web.url, 'bob')).cookie;
    for (const path of [
      '/admin',
      '/admin/grants',
      '/admin/grants/overdue',
      '/admin/requests',
      '/admin/break-glass',
      '/admin/chain',
    ]) {
      const page = await web.broker.http.get(path).set('cookie', bob).expect(404);
      expect(page.text).not.toContain('data-grant');
    }
  });
});
