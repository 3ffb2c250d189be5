import { Inject, Injectable } from '@nestjs/common';
import type { AuditEvent } from '#audit';
import { AuditLog, LogIntegrator } from '#audit';
import { CredentialMinter } from '#credentials';
import type { Clock, Principal } from '#domain';
import { canSeeRequest, principalKind } from '#domain';
import type { EvidenceBundle, EvidenceLink } from '#evidence';
import {
  EVIDENCE_FORMAT,
  partiesOf,
  policyFacts,
  policyHashOf,
  readReceipt,
  sealBundle,
} from '#evidence';
import type { AccessRequestRow, ApprovalRow, GrantRow } from '#persistence';
import { GrantRepository, RequestRepository, SYSTEM_SCOPE, UnitOfWork } from '#persistence';
import { requestTerms } from './approval-receipts.js';
import { requestNotFound } from './audit-helpers.js';
import { PolicyState } from './policy-state.js';
import { CLOCK } from './wiring/tokens.js';

/** A request's events fit in a few pages; the bound keeps one export from reading without end. */
const EVENTS_PAGE = 500;
const MAX_EVENTS = 10_000;

/**
 * `GET /v1/requests/:id/evidence`: everything about one request that a verifier needs, sealed by
 * the broker's key, for whoever may see the request (docs/api.md §4 visibility).
 */
@Injectable()
export class ExportEvidence {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly grants: GrantRepository,
    private readonly audit: AuditLog,
    private readonly integrator: LogIntegrator,
    private readonly policy: PolicyState,
    private readonly minter: CredentialMinter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The sealed evidence document, as canonical JSON text. */
  async export(principal: Principal, id: string): Promise<string> {
    const signer = await this.minter.signer();
    // The request's events committed before the export are in the log, not pending.
    await this.integrator.catchUp();
    const bundle = await this.uow.read(async (db) => {
      const row = await this.requests.findVisible(db, this.policy.scopeFor(principal), id);
      if (!row || !canSeeRequest(this.policy.policy, principal, row)) throw requestNotFound();
      const approvals = await this.requests.approvals(db, [row.id]);
      // The request's own grant: whoever may see the request sees that it was issued.
      const grant = row.grantId
        ? await this.grants.findVisible(db, SYSTEM_SCOPE, row.grantId)
        : null;
      const events: AuditEvent[] = [];
      for (;;) {
        const afterSeq = events[events.length - 1]?.seq;
        const page = await this.audit.list(db, { requestId: row.id, afterSeq, limit: EVENTS_PAGE });
        events.push(...page);
        if (page.length < EVENTS_PAGE || events.length >= MAX_EVENTS) break;
      }
      return this.bundle(row, approvals, grant, events, await this.audit.head(db));
    });
    return sealBundle(bundle, (typ, payload) => signer.signBytes(typ, payload));
  }

  private bundle(
    row: AccessRequestRow,
    approvals: readonly ApprovalRow[],
    grant: GrantRow | null,
    auditEvents: AuditEvent[],
    chainHead: { seq: number; hash: string },
  ): EvidenceBundle {
    const role = this.policy.role(row.role);
    const policyHashes = approvals.map((a) =>
      a.receipt ? readReceipt(a.receipt).policyHash : null,
    );
    const { separation } = this.policy.policy;
    const currentHash = role ? policyHashOf(separation, role) : undefined;
    return {
      format: EVIDENCE_FORMAT,
      issuer: this.minter.issuer,
      generatedAt: this.clock.now().toISOString(),
      request: {
        ...requestTerms(row),
        status: row.status,
        breakGlass: row.breakGlass,
        justification: row.justification,
        createdAt: row.createdAt.toISOString(),
        decidedAt: row.decidedAt?.toISOString() ?? null,
      },
      policy:
        role && currentHash
          ? {
              hash: currentHash,
              approvedUnderThisPolicy: policyHashes.every((hash) => hash === currentHash),
              definition: policyFacts(separation, role),
            }
          : null,
      approvals: approvals.map((a) => ({
        approver: a.approver,
        at: a.at.toISOString(),
        comment: a.comment,
        receipt: a.receipt,
      })),
      separation: this.separationFacts(row, approvals),
      issuance: grant
        ? {
            grantId: grant.id,
            issuedAt: grant.issuedAt.toISOString(),
            expiresAt: grant.expiresAt.toISOString(),
            kid: grant.kid,
            recipient: grant.recipient,
            approvers: [...grant.approvers],
          }
        : null,
      revocation:
        grant?.endedAt && grant.status !== 'active'
          ? {
              status: grant.status,
              endedAt: grant.endedAt.toISOString(),
              reason: grant.revokedReason,
            }
          : null,
      auditEvents,
      chainHead,
    };
  }

  /**
   * Who is linked to whom among the request's parties, and who holds each service account's key,
   * as the identity graph knows it now (the mint counts people with today's links too).
   */
  private separationFacts(
    row: AccessRequestRow,
    approvals: readonly ApprovalRow[],
  ): EvidenceBundle['separation'] {
    const { graph } = this.policy.context;
    const parties = partiesOf(
      row,
      approvals.map((a) => a.approver),
    );
    const links: EvidenceLink[] = [];
    for (const [i, a] of parties.entries()) {
      for (const b of parties.slice(i + 1)) {
        const kind = graph.linkBetween(a, b);
        if (kind) links.push({ between: [a, b], kind });
      }
    }
    const keyHolders: Record<string, string> = {};
    for (const party of parties) {
      const holder =
        principalKind(party) === 'service_account' ? this.policy.keyHolderOf(party) : undefined;
      if (holder !== undefined) keyHolders[party] = holder;
    }
    return { mode: this.policy.policy.separation, links, keyHolders };
  }
}
