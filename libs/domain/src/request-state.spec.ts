import { DomainError } from './errors.js';
import type { RequestStatus } from './request-state.js';
import {
  assertTransition,
  canTransition,
  isPastDeadline,
  openRequestDeadline,
} from './request-state.js';

const STATUSES: RequestStatus[] = [
  'pending',
  'approved',
  'denied',
  'cancelled',
  'expired',
  'issued',
];

// docs/api.md §4: pending -> approved | denied | cancelled | expired; approved -> issued | expired.
const ALLOWED = new Set([
  'pending->approved',
  'pending->denied',
  'pending->cancelled',
  'pending->expired',
  'approved->issued',
  'approved->expired',
]);

const PAIRS: [RequestStatus, RequestStatus, boolean][] = STATUSES.flatMap((from) =>
  STATUSES.map((to): [RequestStatus, RequestStatus, boolean] => [
    from,
    to,
    ALLOWED.has(`${from}->${to}`),
  ]),
);

describe('request transitions', () => {
  it('covers every pair', () => {
    expect(PAIRS).toHaveLength(36);
    expect(PAIRS.filter(([, , ok]) => ok)).toHaveLength(6);
  });

  it.each(PAIRS)('%s -> %s allowed: %p', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
    if (allowed) {
      expect(() => assertTransition(from, to)).not.toThrow();
    } else {
      let thrown: unknown;
      try {
        assertTransition(from, to);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DomainError);
      expect((thrown as DomainError).code).toBe('invalid_state');
      expect((thrown as DomainError).details).toEqual({ reason: `request_${from}` });
    }
  });
});

describe('openRequestDeadline', () => {
  const createdAt = new Date('2026-01-01T00:00:00.000Z');
  const decidedAt = new Date('2026-01-01T01:00:00.000Z');
  const timeouts = { requestTimeout: 86400, redeemWithin: 900 };

  it.each<[RequestStatus, Date | undefined, string | undefined]>([
    ['pending', undefined, '2026-01-02T00:00:00.000Z'],
    ['pending', decidedAt, '2026-01-02T00:00:00.000Z'],
    ['approved', decidedAt, '2026-01-01T01:15:00.000Z'],
    ['approved', undefined, undefined],
    ['denied', decidedAt, undefined],
    ['cancelled', decidedAt, undefined],
    ['expired', decidedAt, undefined],
    ['issued', decidedAt, undefined],
  ])('%s (decidedAt %p) -> %p', (status, decided, expected) => {
    const deadline = openRequestDeadline({ status, createdAt, decidedAt: decided }, timeouts);
    expect(deadline?.toISOString()).toBe(expected);
  });
});

describe('isPastDeadline', () => {
  const deadline = new Date('2026-01-01T00:15:00.000Z');

  it.each<[Date | undefined, string, boolean]>([
    [deadline, '2026-01-01T00:14:59.999Z', false],
    [deadline, '2026-01-01T00:15:00.000Z', true],
    [deadline, '2026-01-01T00:15:00.001Z', true],
    [deadline, '2025-12-31T00:00:00.000Z', false],
    [undefined, '2026-01-01T00:15:00.000Z', false],
    [undefined, '2099-01-01T00:00:00.000Z', false],
  ])('deadline %p at %p -> %p', (d, now, expected) => {
    expect(isPastDeadline(d, new Date(now))).toBe(expected);
  });
});
