import { performance } from 'node:perf_hooks';
import type { StepTimes } from './raw-pg.js';
import type { FlowSteps } from './flow-steps.js';
import type { BenchIssuer, Failures, HttpClient } from './support.js';

// One broker flow over HTTP, shared by bench/mint.ts and bench/revocation.ts.

export const ROLE = 'prod-db-admin';

export type Flow = (failures: Failures) => Promise<StepTimes | undefined>;

export function benchConfigYaml(issuer: BenchIssuer): string {
  return `
publicUrl: http://127.0.0.1:3999
separation: strict
auth:
  issuers:
    - name: corp
      issuer: ${issuer.url}
      jwksUri: ${issuer.jwksUri}
      audience: countersign
      groupsClaim: groups
rateLimit:
  perMinute: 0
policy:
  admins: { groups: [security] }
  roles:
    - name: ${ROLE}
      resource: postgres://prod/payments
      actions: [db:read, db:write]
      maxDuration: 1h
      defaultDuration: 15m
      redeemWithin: 15m
      requestTimeout: 24h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      approvalsRequired: 1
      requireJustification: true
`;
}

export interface Tokens {
  requester: string;
  approver: string;
}

/** A step that did not answer as it should: what it answered, counted by the run. */
export class StepFailure extends Error {}

export function httpSteps(api: HttpClient, tokens: Tokens): FlowSteps<string> {
  return {
    async create() {
      const created = await api.post('/v1/requests', tokens.requester, {
        role: ROLE,
        justification: 'bench',
      });
      if (created.status !== 201) {
        throw new StepFailure(`request → ${created.status} ${String(created.body.error)}`);
      }
      return created.body.id as string;
    },
    async approve(id) {
      const approved = await api.post(`/v1/requests/${id}/approve`, tokens.approver, {});
      if (approved.status !== 200 || approved.body.status !== 'approved') {
        throw new StepFailure(`approve → ${approved.status} ${String(approved.body.error)}`);
      }
    },
    async mint(id) {
      const minted = await api.post(`/v1/requests/${id}/credentials`, tokens.requester, {});
      const credential = minted.body.credential as { token?: unknown } | undefined;
      if (minted.status !== 201 || typeof credential?.token !== 'string') {
        throw new StepFailure(`mint → ${minted.status} ${String(minted.body.error)}`);
      }
    },
  };
}

/** The three steps in a row, timed; a step that fails is counted, not thrown. */
export function flowOf<T>(steps: FlowSteps<T>): Flow {
  return async (failures) => {
    try {
      const started = performance.now();
      const handle = await steps.create();
      await steps.approve(handle);
      const mintStarted = performance.now();
      await steps.mint(handle);
      const ended = performance.now();
      return { flowMs: ended - started, mintMs: ended - mintStarted };
    } catch (error) {
      if (!(error instanceof StepFailure)) throw error;
      failures.add(error.message);
      return undefined;
    }
  };
}
