import type { AccessRequest, ServiceAccount } from './api-types.js';
import {
  breakGlassTable,
  reviewLine,
  reviewState,
  serviceAccountDetails,
  serviceAccountTable,
} from './security-views.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const due = (iso: string, extra: object = {}) => ({ dueAt: iso, escalations: 0, ...extra });

describe('break-glass views', () => {
  it.each<[string, Parameters<typeof reviewState>[0], string]>([
    ['due later', due('2026-03-01T12:30:00Z'), 'due in 30m'],
    ['overdue', due('2026-03-01T11:00:00Z'), 'overdue by 1h'],
    [
      'overdue, escalated',
      due('2026-03-01T11:45:00Z', { escalations: 2 }),
      'overdue by 15m, escalated 2×',
    ],
    [
      'reviewed',
      due('2026-03-01T11:00:00Z', {
        reviewedBy: 'corp:bob',
        reviewedAt: '2026-03-01T10:00:00.123Z',
      }),
      'reviewed by corp:bob 2026-03-01T10:00:00Z',
    ],
    ['not shown to us', undefined, 'unknown'],
  ])('a review %s reads %p', (_name, review, text) => {
    expect(reviewState(review, NOW)).toBe(text);
  });

  it('says in absolute terms where a review stands, for show', () => {
    expect(reviewLine(due('2026-03-01T12:30:00Z', { escalations: 1 }))).toBe(
      'no approval; review due 2026-03-01T12:30:00Z (escalated 1×)',
    );
    expect(
      reviewLine(
        due('2026-03-01T12:30:00Z', {
          reviewedBy: 'corp:dave',
          reviewedAt: '2026-03-01T12:10:00Z',
          comment: 'ok',
        }),
      ),
    ).toBe('reviewed by corp:dave at 2026-03-01T12:10:00Z "ok"');
  });

  it('lists activations with their review, escaping what others typed', () => {
    const activation = {
      id: 'r1',
      role: 'emergency\u001b[2K',
      requester: 'corp:alice',
      createdAt: '2026-03-01T11:50:00Z',
      duration: 600,
      review: due('2026-03-01T12:50:00Z'),
    } as AccessRequest;
    const [header, row] = breakGlassTable([activation], NOW).trimEnd().split('\n');
    expect(header).toMatch(/^ID +ROLE +ACTIVATED BY +AT +FOR +REVIEW$/);
    expect(row).toMatch(
      /^r1 +emergency\\x1b\[2K +corp:alice +2026-03-01T11:50:00Z +10m +due in 50m$/,
    );
    expect(breakGlassTable([], NOW)).toBe('no break-glass activations\n');
  });
});

describe('service account views', () => {
  const account: ServiceAccount = {
    name: 'deploy-bot',
    principal: 'local:deploy-bot',
    owner: 'corp:alice',
    groups: ['deployers'],
    status: 'active',
    keyPrefix: 'cs_sa_abcd',
    keyCreatedAt: '2026-03-01T10:00:00Z',
    createdAt: '2026-03-01T10:00:00Z',
    createdBy: 'corp:dave',
  };

  it('shows never for a key without an end or a use', () => {
    const [, row] = serviceAccountTable([account]).trimEnd().split('\n');
    expect(row).toMatch(/^deploy-bot +corp:alice +active +cs_sa_abcd +never +never$/);
    expect(serviceAccountTable([])).toBe('no service accounts\n');
  });

  it('shows one account, leaving out what it does not have', () => {
    const text = serviceAccountDetails(account);
    expect(text).toMatch(/^principal +local:deploy-bot$/m);
    expect(text).toMatch(/^groups +deployers$/m);
    expect(text).toMatch(/^created +2026-03-01T10:00:00Z by corp:dave$/m);
    expect(text).not.toMatch(/^(disabled|last used|description|key holder)/m);
  });
});
