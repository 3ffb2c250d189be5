import { Controller, Get, Header, Query } from '@nestjs/common';
import { AuditQueries } from '#access';
import type { ConsistencyProofView, InclusionProofView, ListPage } from '#access';
import type { AuditEvent, ChainVerification } from '#audit';
import type { AuthenticatedPrincipal } from '#identity';
import { CurrentPrincipal } from '../http/principal.decorator.js';
import { ZodPipe } from '../http/zod.pipe.js';
import type { AuditQuery, ConsistencyProofQuery, InclusionProofQuery } from './schemas.js';
import { auditQuery, consistencyProofQuery, inclusionProofQuery } from './schemas.js';

@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditQueries) {}

  @Get()
  list(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Query(new ZodPipe(auditQuery)) query: AuditQuery,
  ): Promise<ListPage<AuditEvent>> {
    const { cursor, ...filter } = query;
    return this.audit.events(principal, { ...filter, afterSeq: cursor });
  }

  @Get('verify')
  verify(@CurrentPrincipal() principal: AuthenticatedPrincipal): Promise<ChainVerification> {
    return this.audit.verify(principal);
  }

  /** The latest signed checkpoint (C2SP tlog-checkpoint); any authenticated principal. */
  @Get('checkpoint')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  checkpoint(): Promise<string> {
    return this.audit.checkpoint();
  }

  @Get('proof/inclusion')
  inclusion(
    @Query(new ZodPipe(inclusionProofQuery)) query: InclusionProofQuery,
  ): Promise<InclusionProofView> {
    return this.audit.inclusionProof(query.seq, query.size);
  }

  @Get('proof/consistency')
  consistency(
    @Query(new ZodPipe(consistencyProofQuery)) query: ConsistencyProofQuery,
  ): Promise<ConsistencyProofView> {
    return this.audit.consistencyProof(query.from, query.to);
  }
}
