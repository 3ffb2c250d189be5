import { Controller, Get } from '@nestjs/common';
import { RoleQueries } from '#access';
import type { RoleView } from '#access';
import type { AuthenticatedPrincipal } from '#identity';
import { CurrentPrincipal } from '../http/principal.decorator.js';

/** `GET /v1/roles` (docs/api-extensions.md): the roles the caller may request; admins see all. */
@Controller('v1/roles')
export class RolesController {
  constructor(private readonly roles: RoleQueries) {}

  @Get()
  list(@CurrentPrincipal() principal: AuthenticatedPrincipal): { items: RoleView[] } {
    return this.roles.visibleRoles(principal);
  }
}
