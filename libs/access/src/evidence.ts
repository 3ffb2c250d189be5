import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuditEvent } from '#audit';
import {
  AuditLog,
  GENESIS_HASH,
  LogIntegrator,
  latestCheckpoint,
  storeInclusionProof,
  storedTiles,
} from '#audit';
import { CredentialMinter, LogKeys } from '#credentials';
import type { Clock, Principal } from '#domain';
import { canSeeRequest, principalKind } from '#domain';
import type {
  EvidenceBundle,
  EvidenceExtension,
  EvidenceLink,
  EvidenceLogProof,
  EvidencePasskeySignature,
} from '#evidence';
import {
  EVIDENCE_FORMAT,
  partiesOf,
  policyFacts,
  policyHashOf,
  readReceipt,
  sealBundle,
} from '#evidence';
import type { EntityManager } from 'typeorm';
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
 * A checkpoint is signed just before the read; events of the request integrated in between lie
 * beyond it, and the export signs again. Twice more at most: then something writes without end.
 */
const CHECKPOINT_ATTEMPTS = 3;
/** A person registers a few passkeys: their registrations are read a page at a time, to a bound. */
const REGISTRATIONS_PAGE = 100;
const MAX_REGISTRATIONS = 1000;

const base64 = (hash: Uint8Array): string => Buffer.from(hash).toString('base64');

/**
 * `GET /v1/requests/:id/evidence`: everything about one request that a verifier needs, sealed by
 * the broker's key, for whoever may see the request (docs/api.md §4 visibility).
 */
@Injectable()
export class ExportEvidence {
  private readonly logger = new Logger('Evidence');

  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: RequestRepository,
    private readonly grants: GrantRepository,
    private readonly audit: AuditLog,
    private readonly integrator: LogIntegrator,
    private readonly policy: PolicyState,
    private readonly minter: CredentialMinter,
    private readonly logKeys: LogKeys,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The sealed evidence document, as canonical JSON text. */
  async export(principal: Principal, id: string): Promise<string> {
    // Refused before anything is signed: a checkpoint per export is for those who may export.
    await this.uow.read((db) => this.visibleRequest(db, principal, id));
    const signer = await this.minter.signer();
    const logKey = await this.logKeys.verifierKey();
    for (let attempt = 1; ; attempt++) {
      // The request's events committed before the export are in the log, under a checkpoint.
      await this.integrator.checkpointNow();
      const bundle = await this.uow.read(async (db) => {
        const row = await this.visibleRequest(db, principal, id);
        const approvals = await this.requests.approvals(db, [row.id]);
        // The request's own grant: whoever may see the request sees that it was issued.
        const grant = row.grantId
          ? await this.grants.findVisible(db, SYSTEM_SCOPE, row.grantId)
          : null;
        // The checkpoint before the events: an event it does not cover came later (retry).
        const checkpoint = await latestCheckpoint(db);
        if (!checkpoint) throw new Error('the audit log has no checkpoint: no log key');
        const events = await this.events(db, row.id);
        if (events.some((event) => event.seq > checkpoint.size)) {
          if (attempt < CHECKPOINT_ATTEMPTS) return undefined;
          throw new Error(`the request's audit events keep outgrowing the log's checkpoint`);
        }
        const log = await this.logProof(db, logKey, checkpoint, events);
        const chainHead = await this.positionAt(db, checkpoint.size);
        const issuance = await this.issuance(db, row, grant, events);
        const signatures = await this.signatures(db, approvals, checkpoint.size);
        return this.bundle(row, approvals, signatures, issuance, grant, events, chainHead, log);
      });
      if (bundle) return sealBundle(bundle, (typ, payload) => signer.signBytes(typ, payload));
    }
  }

  /** The request, if the principal may see it; 404 otherwise (docs/api.md §4 visibility). */
  private async visibleRequest(
    db: EntityManager,
    principal: Principal,
    id: string,
  ): Promise<AccessRequestRow> {
    const row = await this.requests.findVisible(db, this.policy.scopeFor(principal), id);
    if (!row || !canSeeRequest(this.policy.policy, principal, row)) throw requestNotFound();
    return row;
  }

  private async events(db: EntityManager, requestId: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    for (;;) {
      const afterSeq = events[events.length - 1]?.seq;
      const page = await this.audit.list(db, { requestId, afterSeq, limit: EVENTS_PAGE });
      events.push(...page);
      if (page.length < EVENTS_PAGE || events.length >= MAX_EVENTS) return events;
    }
  }

  /** The chain's position after `size` events: the head as of the checkpoint. */
  private async positionAt(
    db: EntityManager,
    size: number,
  ): Promise<{ seq: number; hash: string }> {
    if (size === 0) return { seq: 0, hash: GENESIS_HASH };
    const [event] = await this.audit.list(db, { afterSeq: size - 1, limit: 1 });
    if (event?.seq !== size) throw new Error(`the audit log has no event ${size}`);
    return { seq: event.seq, hash: event.hash };
  }

  /** Each event's inclusion proof (leaf seq - 1) in the tree the checkpoint signed. */
  private async logProof(
    db: EntityManager,
    key: string,
    checkpoint: { size: number; note: string },
    events: readonly AuditEvent[],
  ): Promise<EvidenceLogProof> {
    const tiles = storedTiles(db);
    const inclusion = [];
    for (const event of events) {
      const proof = await storeInclusionProof(tiles, event.seq - 1, checkpoint.size);
      inclusion.push({ seq: event.seq, proof: proof.map(base64) });
    }
    return { key, checkpoint: checkpoint.note, inclusion };
  }

  /**
   * Each passkey-signed approval's signature, with the credential's public key as the approver's
   * `passkey.registered` event recorded it, that event, and its inclusion under the checkpoint
   * (every registration an approval used came before the approval, so below the checkpoint).
   */
  private async signatures(
    db: EntityManager,
    approvals: readonly ApprovalRow[],
    checkpointSize: number,
  ): Promise<Map<string, EvidencePasskeySignature>> {
    const tiles = storedTiles(db);
    const signatures = new Map<string, EvidencePasskeySignature>();
    for (const approval of approvals) {
      const signed = approval.signature;
      if (!signed) continue;
      const registration = await this.registration(db, approval.approver, signed.credentialId);
      const publicKey = registration?.data.publicKey;
      // Every approval's passkey was registered, with its key logged, before it signed; but one
      // registered before countersign logged keys has no key to cite. Its approval is then
      // shown as the broker attests it (and a role that requires signatures fails to verify),
      // rather than no bundle at all.
      if (!registration || typeof publicKey !== 'string' || registration.seq > checkpointSize) {
        this.logger.warn(
          `evidence of request ${approval.requestId}: no logged key for the passkey ${signed.credentialId} of ${approval.approver}; its approval is shown broker-attested`,
        );
        continue;
      }
      const proof = await storeInclusionProof(tiles, registration.seq - 1, checkpointSize);
      signatures.set(approval.id, {
        kind: 'passkey',
        nonce: signed.nonce,
        rpId: signed.rpId,
        origin: signed.origin,
        credentialId: signed.credentialId,
        publicKey,
        authenticatorData: signed.authenticatorData,
        clientDataJSON: signed.clientDataJSON,
        signature: signed.signature,
        registration,
        registrationInclusion: proof.map(base64),
      });
    }
    return signatures;
  }

  /** The `passkey.registered` event of the owner's credential, among their registrations. */
  private async registration(
    db: EntityManager,
    owner: string,
    credentialId: string,
  ): Promise<AuditEvent | undefined> {
    let afterSeq: number | undefined;
    for (let read = 0; read < MAX_REGISTRATIONS; read += REGISTRATIONS_PAGE) {
      const page = await this.audit.list(db, {
        type: 'passkey.registered',
        actor: owner,
        afterSeq,
        limit: REGISTRATIONS_PAGE,
      });
      const found = page.find((event) => event.data.publicKeyId === credentialId);
      if (found || page.length < REGISTRATIONS_PAGE) return found;
      afterSeq = page[page.length - 1].seq;
    }
    return undefined;
  }

  /**
   * What the request issued. A grant's own request: the grant, with the extensions that moved its
   * end since. An extension: the end it gave, under its own approvals, as `grant.extended` says.
   */
  private async issuance(
    db: EntityManager,
    row: AccessRequestRow,
    grant: GrantRow | null,
    events: readonly AuditEvent[],
  ): Promise<EvidenceBundle['issuance']> {
    if (!grant) return null;
    const common = { grantId: grant.id, kid: grant.kid, recipient: grant.recipient };
    if (row.extendsGrantId) {
      const extended = events.find((event) => event.type === 'grant.extended');
      if (!extended) return null;
      const facts = extensionOf(extended);
      return {
        ...common,
        issuedAt: extended.at,
        expiresAt: facts.expiresAt,
        approvers: facts.approvers,
      };
    }
    const extensions: EvidenceExtension[] = [];
    for (const extension of await this.requests.issuedExtensionsOf(db, grant.id)) {
      const [event] = await this.audit.list(db, {
        requestId: extension.id,
        type: 'grant.extended',
        limit: 1,
      });
      if (event) extensions.push(extensionOf(event));
    }
    return {
      ...common,
      issuedAt: grant.issuedAt.toISOString(),
      expiresAt: grant.expiresAt.toISOString(),
      approvers: [...grant.approvers],
      ...(extensions.length > 0 ? { extensions } : {}),
    };
  }

  private bundle(
    row: AccessRequestRow,
    approvals: readonly ApprovalRow[],
    signatures: ReadonlyMap<string, EvidencePasskeySignature>,
    issuance: EvidenceBundle['issuance'],
    grant: GrantRow | null,
    auditEvents: AuditEvent[],
    chainHead: { seq: number; hash: string },
    log: EvidenceLogProof,
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
      approvals: approvals.map((a) => {
        const signature = signatures.get(a.id);
        return {
          approver: a.approver,
          at: a.at.toISOString(),
          comment: a.comment,
          receipt: a.receipt,
          // Only where signed, so that bundles without signatures stay what they were.
          ...(signature ? { signature } : {}),
        };
      }),
      separation: this.separationFacts(row, approvals),
      issuance,
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
      log,
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

/** An extension as its `grant.extended` event recorded it (grant-extender.ts writes the data). */
function extensionOf(event: AuditEvent): EvidenceExtension {
  const data = event.data as { previousExpiresAt: string; expiresAt: string; approvers: string[] };
  return {
    requestId: event.requestId ?? '',
    approvers: [...data.approvers],
    previousExpiresAt: data.previousExpiresAt,
    expiresAt: data.expiresAt,
  };
}
