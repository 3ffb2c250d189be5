import type { Clock } from '#domain';
import { toGrantView, toRequestView } from '#access';
import type { NotificationRow, RequestRepository, UnitOfWork } from '#persistence';
import { AccessRequestRow, GrantRow } from '#persistence';
import type { NoticeFacts } from './notice.js';

/**
 * Reads what a notification shows, as committed now: the request with its approvals, and its
 * grant when it has one. Undefined when the request is gone (it never is: rows are not deleted).
 */
export class NoticeFactsReader {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly clock: Clock,
    private readonly publicUrl: string,
  ) {}

  async read(row: NotificationRow): Promise<NoticeFacts | undefined> {
    return this.uow.read(async (db) => {
      const request = await db.findOneBy(AccessRequestRow, { id: row.requestId });
      if (!request) return undefined;
      const approvals = await this.requests.approvals(db, [request.id]);
      const grantId = row.grantId ?? request.grantId;
      const grant = grantId === null ? null : await db.findOneBy(GrantRow, { id: grantId });
      return {
        kind: row.kind,
        actor: row.actor,
        detail: row.detail,
        request: toRequestView(request, approvals),
        ...(grant ? { grant: toGrantView(grant, this.clock.now()) } : {}),
        link: `${this.publicUrl}/requests/${encodeURIComponent(request.id)}`,
      };
    });
  }
}
