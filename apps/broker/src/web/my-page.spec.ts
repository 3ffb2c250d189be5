import type { GrantView, OwnRequestView, RoleView } from '#access';
import { myPage } from './my-page.js';

const viewer = { id: 'corp:alice', admin: false, csrf: 'token' };
const now = new Date('2026-01-01T00:10:00.000Z');

const role = (name: string, provider: RoleView['provider']): RoleView => ({
  name,
  resource: 'x',
  actions: ['a'],
  maxDuration: 3600,
  maxExtendedDuration: 7200,
  defaultDuration: 900,
  approvalsRequired: 1,
  requireJustification: false,
  provider,
  requestable: true,
});

const approved = (id: string, roleName: string): OwnRequestView => ({
  id,
  role: roleName,
  resource: 'x',
  requester: 'corp:alice',
  recipient: 'corp:alice',
  duration: 900,
  status: 'approved',
  createdAt: '2026-01-01T00:00:00.000Z',
  approvals: [{ approver: 'corp:bob', at: '2026-01-01T00:01:00.000Z' }],
  approvalsRequired: 1,
});

const active = (id: string, roleName: string): GrantView => ({
  id,
  requestId: `r-${id}`,
  role: roleName,
  recipient: 'corp:alice',
  issuedAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T01:00:00.000Z',
  status: 'active',
});

describe('the requester page', () => {
  const page = myPage(
    viewer,
    {
      requests: [approved('req-jwt', 'db'), approved('req-ssh', 'shell')],
      activeGrants: [active('g-jwt', 'db'), active('g-ssh', 'shell')],
      now,
    },
    [role('db', 'jwt'), role('shell', 'ssh')],
  );
  const row = (id: string) => {
    const start = page.indexOf(`id="${id}"`);
    return page.slice(start, page.indexOf('</tr>', start));
  };

  it('collects a credential on the page, but sends an ssh certificate to the CLI with a key', () => {
    expect(row('request-req-jwt')).toContain('action="/me/requests/req-jwt/collect"');
    expect(row('request-req-ssh')).not.toContain('/collect"');
    expect(row('request-req-ssh')).toContain('countersign creds req-ssh --ssh-key');
  });

  it('offers no extension of an ssh grant: a certificate cannot be extended', () => {
    expect(row('grant-g-jwt')).toContain('action="/me/grants/g-jwt/extend"');
    expect(row('grant-g-ssh')).not.toContain('/extend"');
    expect(row('grant-g-ssh')).toContain('a certificate: ask anew');
  });
});
