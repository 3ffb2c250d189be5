import type { WebSetup } from '../support/browser.js';
import { startWebBroker } from '../support/browser.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { as, createRequest } from '../support/flow.js';
import { signInOverHttp } from '../support/oidc-provider.js';

// An approver's page of an extension says what is extended and that the duration is added.
describe.each(DATABASE_KINDS)('the approver page of an extension on %s', (kind) => {
  let web: WebSetup;

  beforeAll(async () => {
    web = await startWebBroker(kind);
  });

  afterAll(async () => {
    await web.close();
  });

  it('names the grant and shows the duration as added time; an ordinary request does not', async () => {
    const request = await createRequest(web.broker, 'alice', {
      role: 'prod-db-admin',
      duration: '15m',
      justification: 'INC-8',
    });
    await (await as(web.broker, 'bob')).post(`/v1/requests/${request.id}/approve`).expect(200);
    const alice = await as(web.broker, 'alice');
    const minted = await alice.post(`/v1/requests/${request.id}/credentials`).expect(201);
    const grantId = (minted.body as { grantId: string }).grantId;
    const extension = await alice
      .post(`/v1/grants/${grantId}/extend`, { duration: '30m', justification: 'INC-8 still' })
      .expect(201);

    const { cookie } = await signInOverHttp(web.url, 'bob');
    const page = async (id: string) =>
      (await web.broker.http.get(`/requests/${id}`).set('cookie', cookie).expect(200)).text;
    const extending = await page(extension.body.id as string);
    expect(extending).toContain(
      `<dt>Extends</dt>\n              <dd>grant <span class="mono">${grantId}</span>, by the duration below</dd>`,
    );
    expect(extending).toMatch(/<dt>Duration<\/dt>\s*<dd>\+30m<\/dd>/);
    // bob may approve it: the page offers the decision like on any request.
    expect(extending).toContain(`action="/requests/${extension.body.id}/approve"`);

    const ordinary = await page(request.id);
    expect(ordinary).not.toContain('<dt>Extends</dt>');
    expect(ordinary).toMatch(/<dt>Duration<\/dt>\s*<dd>15m<\/dd>/);
  });
});
