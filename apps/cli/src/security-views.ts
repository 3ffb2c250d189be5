import type { AccessRequest, BreakGlassReview, ServiceAccount } from './api-types.js';
import { formatDuration, formatInstant, keyValues, relative, table } from './format.js';

/**
 * How break-glass activations and service accounts read in a terminal; table() and keyValues()
 * escape every value (views.ts has the requests and grants).
 */

/** Where a review stands: who gave it, or when it is (or was) due and how often it escalated. */
export function reviewState(review: BreakGlassReview | undefined, now: number): string {
  if (!review) return 'unknown';
  if (review.reviewedBy) {
    return `reviewed by ${review.reviewedBy} ${formatInstant(review.reviewedAt)}`;
  }
  const due = new Date(review.dueAt).getTime();
  const escalated = review.escalations > 0 ? `, escalated ${review.escalations}×` : '';
  return due >= now
    ? `due ${relative(review.dueAt, now)}`
    : `overdue by ${formatDuration(Math.round((now - due) / 1000))}${escalated}`;
}

/** A review in absolute terms, for `show`: `review due …` or `reviewed by … at … "comment"`. */
export function reviewLine(review: BreakGlassReview | undefined): string {
  if (!review) return 'no approval; review state unknown';
  if (review.reviewedBy) {
    const comment = review.comment ? ` "${review.comment}"` : '';
    return `reviewed by ${review.reviewedBy} at ${formatInstant(review.reviewedAt)}${comment}`;
  }
  const escalated = review.escalations > 0 ? ` (escalated ${review.escalations}×)` : '';
  return `no approval; review due ${formatInstant(review.dueAt)}${escalated}`;
}

export function breakGlassTable(activations: AccessRequest[], now: number): string {
  if (activations.length === 0) return 'no break-glass activations\n';
  return table(
    ['ID', 'ROLE', 'ACTIVATED BY', 'AT', 'FOR', 'REVIEW'],
    activations.map((request) => [
      request.id,
      request.role,
      request.requester,
      formatInstant(request.createdAt),
      formatDuration(request.duration),
      reviewState(request.review, now),
    ]),
  );
}

export function serviceAccountTable(accounts: ServiceAccount[]): string {
  if (accounts.length === 0) return 'no service accounts\n';
  return table(
    ['NAME', 'OWNER', 'STATUS', 'KEY', 'KEY EXPIRES', 'LAST USED'],
    accounts.map((account) => [
      account.name,
      account.owner,
      account.status,
      account.keyPrefix,
      formatInstant(account.keyExpiresAt) || 'never',
      formatInstant(account.lastUsedAt) || 'never',
    ]),
  );
}

export function serviceAccountDetails(account: ServiceAccount): string {
  return keyValues([
    ['name', account.name],
    ['principal', account.principal],
    ['owner', account.owner],
    ['description', account.description],
    ['groups', account.groups.length > 0 ? account.groups.join(', ') : undefined],
    ['status', account.status],
    ['key', account.keyPrefix],
    ['key created', formatInstant(account.keyCreatedAt)],
    ['key expires', formatInstant(account.keyExpiresAt) || 'never'],
    ['key holder', account.keyHolder],
    ['created', `${formatInstant(account.createdAt)} by ${account.createdBy}`],
    ['disabled', account.disabledAt ? formatInstant(account.disabledAt) : undefined],
    ['last used', account.lastUsedAt ? formatInstant(account.lastUsedAt) : undefined],
  ]);
}
