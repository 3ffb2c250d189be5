import type { AccessRequest, AuditEvent, Grant, Role } from './api-types.js';
import type { Paint } from './format.js';
import { formatDuration, formatInstant, keyValues, relative, table } from './format.js';
import { reviewLine } from './security-views.js';
import { terminalText as t } from './terminal-text.js';

/**
 * How the API's objects read in a terminal. table() and keyValues() escape every value; a line
 * built here by hand escapes each broker value itself (`t`).
 */

export function approvalsSummary(request: AccessRequest): string {
  return `${request.approvals.length}/${request.approvalsRequired}`;
}

export function requestTable(requests: AccessRequest[], paint: Paint): string {
  if (requests.length === 0) return 'no requests\n';
  return table(
    ['ID', 'ROLE', 'STATUS', 'REQUESTER', 'RECIPIENT', 'FOR', 'APPROVALS', 'CREATED'],
    requests.map((request) => [
      request.id,
      request.role,
      request.status,
      request.requester,
      request.recipient,
      formatDuration(request.duration),
      approvalsSummary(request),
      formatInstant(request.createdAt),
    ]),
    paint,
  );
}

export function requestDetails(request: AccessRequest): string {
  const head = keyValues([
    ['id', request.id],
    ['role', request.resource ? `${request.role} (${request.resource})` : request.role],
    ['status', request.status],
    ['requester', request.requester],
    ['recipient', request.recipient],
    ['duration', formatDuration(request.duration)],
    ['justification', request.justification],
    // Break-glass has no approvals to count: it is reviewed afterwards instead.
    request.breakGlass
      ? ['break-glass', reviewLine(request.review)]
      : ['approvals', `${approvalsSummary(request)} required`],
    ['created', formatInstant(request.createdAt)],
    ['decided', request.decidedAt ? formatInstant(request.decidedAt) : undefined],
    ['grant', request.grantId],
    ['extends', request.extends],
  ]);
  const approvals = request.approvals.map(
    (approval) =>
      `  ${t(formatInstant(approval.at))}  ${t(approval.approver)}${approval.comment ? `  "${t(approval.comment)}"` : ''}`,
  );
  return approvals.length > 0 ? `${head}${approvals.join('\n')}\n` : head;
}

/** One line saying where a request stands, for progress and after approve/deny/cancel. */
export function requestLine(request: AccessRequest): string {
  const last = request.approvals.at(-1);
  switch (request.status) {
    case 'pending': {
      const line = `request ${t(request.id)} pending: ${t(approvalsSummary(request))} approvals${last ? ` (last by ${t(last.approver)})` : ''}`;
      // Enough approvals yet pending: only an admin approved (docs/api.md §2 rule 6).
      return request.approvals.length >= request.approvalsRequired
        ? `${line}; an admin's approval needs a further non-admin approval`
        : line;
    }
    case 'approved':
    case 'issued':
      return `request ${t(request.id)} ${request.status} (${request.approvals.map((a) => t(a.approver)).join(', ')})`;
    case 'denied':
    case 'cancelled':
    case 'expired':
      return `request ${t(request.id)} ${request.status}`;
  }
}

export function grantTable(grants: Grant[], paint: Paint): string {
  if (grants.length === 0) return 'no grants\n';
  return table(
    ['ID', 'ROLE', 'RECIPIENT', 'STATUS', 'ISSUED', 'EXPIRES', 'ENDED'],
    grants.map((grant) => [
      grant.id,
      grant.role,
      grant.recipient,
      grant.overdue ? `${grant.status} (overdue)` : grant.status,
      formatInstant(grant.issuedAt),
      formatInstant(grant.expiresAt),
      formatInstant(grant.endedAt),
    ]),
    paint,
  );
}

export function grantDetails(grant: Grant, now: number): string {
  return keyValues([
    ['grant', grant.id],
    ['request', grant.requestId],
    ['role', grant.role],
    ['recipient', grant.recipient],
    ['status', grant.status],
    ['issued', formatInstant(grant.issuedAt)],
    ['expires', `${formatInstant(grant.expiresAt)} (${relative(grant.expiresAt, now)})`],
    ['ended', grant.endedAt ? formatInstant(grant.endedAt) : undefined],
    ['reason', grant.revokedReason],
  ]);
}

export function auditTable(events: AuditEvent[]): string {
  if (events.length === 0) return 'no audit events\n';
  return table(
    ['SEQ', 'AT', 'TYPE', 'ACTOR', 'REQUEST', 'REASON'],
    events.map((event) => [
      String(event.seq),
      formatInstant(event.at),
      event.type,
      event.actor,
      event.requestId ?? '',
      typeof event.data.reason === 'string' ? event.data.reason : '',
    ]),
  );
}

export function roleTable(roles: Role[]): string {
  if (roles.length === 0) return 'no roles you may request\n';
  return table(
    ['NAME', 'RESOURCE', 'ACTIONS', 'MAX', 'APPROVALS', 'BREAK-GLASS'],
    roles.map((role) => [
      role.name,
      role.resource,
      role.actions.join(','),
      formatDuration(role.maxDuration),
      String(role.approvalsRequired),
      role.breakGlass ? 'yes' : 'no',
    ]),
  );
}
