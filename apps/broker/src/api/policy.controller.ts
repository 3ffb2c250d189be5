import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import type { ReloadReport } from '#access';
import { PolicyReload } from '#access';
import type { AuthenticatedPrincipal } from '#identity';
import { CurrentPrincipal } from '../http/principal.decorator.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { emptyBody } from './schemas.js';

/** Reloading the policy without a restart (docs/policy-changes.md); SIGHUP does the same. */
@Controller('v1/policy')
export class PolicyController {
  constructor(private readonly policyReload: PolicyReload) {}

  @Post('reload')
  @HttpCode(200)
  reload(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Body(new ZodPipe(emptyBody)) _body: object,
  ): Promise<ReloadReport> {
    return this.policyReload.reloadBy(principal);
  }
}
