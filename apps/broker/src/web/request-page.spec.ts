import type { RequestView } from '#access';
import type { ApprovalSigning } from './request-page.js';
import { requestPage, signsWithScript } from './request-page.js';

const viewer = { id: 'corp:bob', admin: false, csrf: 'token' };
const pending: RequestView = {
  id: '5d7c1a52-1b7e-4d57-9f45-3c2f0b1c7e10',
  role: 'signed-db',
  resource: 'postgres://prod/payments',
  requester: 'corp:alice',
  recipient: 'corp:alice',
  duration: 900,
  status: 'pending',
  createdAt: '2026-01-01T00:00:00.000Z',
  approvals: [],
  approvalsRequired: 1,
};
const pageFor = (signing: ApprovalSigning) =>
  requestPage(pending, viewer, { kind: 'approver', signing }, false);
const approveAction = `action="/requests/${pending.id}/approve"`;
const denyAction = `action="/requests/${pending.id}/deny"`;

describe('the request page for an approver', () => {
  it('offers the plain form, with no script, where nothing is signed', () => {
    const page = pageFor('plain');
    expect(page).toContain(approveAction);
    expect(page).toMatch(/<button type="submit" class="approve">Approve<\/button>/);
    expect(page).not.toContain('<script');
    expect(page).not.toContain('with passkey');
    expect(signsWithScript({ kind: 'approver', signing: 'plain' })).toBe(false);
  });

  it.each(['passkey', 'passkey_required'] as const)(
    'signs with the passkey through the script (%s), the form posting plainly without it',
    (signing) => {
      const page = pageFor(signing);
      expect(page).toContain('<script src="/assets/approve.js" defer></script>');
      expect(page).toMatch(/<form\s+id="approve-signed"\s+method="post"\s+action="\/requests\//);
      expect(page).toContain(`data-approval="/requests/${pending.id}/approval"`);
      expect(page).toContain('Approve with passkey');
      expect(page).toContain(denyAction);
      expect(signsWithScript({ kind: 'approver', signing })).toBe(true);
    },
  );

  it('says in the no-script notice whether an unsigned approval would be refused', () => {
    expect(pageFor('passkey_required')).toContain('which needs JavaScript in this page');
    expect(pageFor('passkey')).toContain('an approval your passkey has not signed');
  });

  it('offers no Approve but a link to register a passkey, and Deny, where one is needed first', () => {
    const page = pageFor('register_first');
    expect(page).not.toContain(approveAction);
    expect(page).not.toContain('class="approve"');
    expect(page).not.toContain('<script');
    expect(page).toMatch(
      /This role's approvals are signed with your passkey:\s*<a href="\/me\/passkeys\/new">register one first<\/a>/,
    );
    expect(page).toContain('needs JavaScript');
    expect(page).toContain(denyAction);
    expect(signsWithScript({ kind: 'approver', signing: 'register_first' })).toBe(false);
  });

  it('runs no script for anyone but an approver', () => {
    expect(signsWithScript({ kind: 'approved_already' })).toBe(false);
    expect(requestPage(pending, viewer, { kind: 'closed' }, false)).not.toContain('<script');
  });
});
