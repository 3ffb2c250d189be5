import type { AuditEventInput, AuditEventType, AuditLog } from '#audit';
import type { Decision, FieldError } from '#domain';
import { DomainError, invalidRequest, notFound, refusalError } from '#domain';
import type { Tx } from '#persistence';
import { Refusal } from '#persistence';

/** Records a policy decision, allow or deny, with the rule that decided it (docs/api.md §5). */
export async function auditDecision(
  tx: Tx,
  audit: AuditLog,
  subject: { actor: string; requestId?: string; action: string },
  decision: Decision,
): Promise<void> {
  await audit.append(tx, {
    type: 'policy.evaluated',
    actor: subject.actor,
    requestId: subject.requestId,
    data: {
      action: subject.action,
      decision: decision.allowed ? 'allow' : 'deny',
      rule: decision.rule,
      ...(decision.allowed ? {} : { reason: decision.reason }),
    },
  });
}

/** Audits a refusal and returns it, to be thrown once the audit event has committed. */
export async function refuse(
  tx: Tx,
  audit: AuditLog,
  type: AuditEventType,
  event: Omit<AuditEventInput, 'type'>,
  error: DomainError,
): Promise<Refusal> {
  await audit.append(tx, {
    ...event,
    type,
    data: { ...event.data, code: error.code, reason: error.details.reason ?? error.code },
  });
  return new Refusal(error);
}

/** What a refused decision is about; `data` goes into the refusal event (with code and reason). */
export interface RefusedSubject {
  actor: string;
  requestId?: string;
  action: string;
  data?: Record<string, unknown>;
}

/** A denied decision: audited as `policy.evaluated` and as the refusal event of the action. */
export async function refuseDecision(
  tx: Tx,
  audit: AuditLog,
  type: AuditEventType,
  subject: RefusedSubject,
  decision: Decision,
): Promise<Refusal> {
  await auditDecision(tx, audit, subject, decision);
  const { actor, requestId, data } = subject;
  return refuse(tx, audit, type, { actor, requestId, data }, refusalError(decision));
}

export const requestNotFound = () => notFound('request');
export const grantNotFound = () => notFound('grant');

/** A refused request for access (`request.refused`), naming the role asked for. */
export function refuseRequest(
  tx: Tx,
  audit: AuditLog,
  actor: string,
  role: string,
  error: DomainError,
): Promise<Refusal> {
  return refuse(tx, audit, 'request.refused', { actor, data: { role } }, error);
}

/** Fields a policy rule found wrong: a 400 that names them, audited (unlike schema errors). */
export function invalidInput(fields: FieldError[]): DomainError {
  return new DomainError('invalid_request', invalidRequest(fields).message, {
    fields,
    reason: 'invalid_input',
  });
}
