import { Controller, Get, Query } from '@nestjs/common';
import { AccessQueries } from '#access';
import type { ListPage } from '#access';
import type { AuditEvent, ChainVerification } from '#audit';
import type { AuthenticatedPrincipal } from '#identity';
import { CurrentPrincipal } from '../http/principal.decorator.js';
import { ZodPipe } from '../http/zod.pipe.js';
import type { AuditQuery } from './schemas.js';
import { auditQuery } from './schemas.js';

@Controller('v1/audit')
export class AuditController {
  constructor(private readonly queries: AccessQueries) {}

  @Get()
  list(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Query(new ZodPipe(auditQuery)) query: AuditQuery,
  ): Promise<ListPage<AuditEvent>> {
    const { cursor, ...filter } = query;
    return this.queries.auditEvents(principal, { ...filter, afterSeq: cursor });
  }

  @Get('verify')
  verify(@CurrentPrincipal() principal: AuthenticatedPrincipal): Promise<ChainVerification> {
    return this.queries.verifyAudit(principal);
  }
}
