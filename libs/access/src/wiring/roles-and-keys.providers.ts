import type { Provider } from '@nestjs/common';
import { AuditLog } from '#audit';
import { SigningKeys } from '#credentials';
import { UnitOfWork } from '#persistence';
import { PolicyState } from '../policy-state.js';
import { RoleQueries } from '../role-queries.js';
import { RotateSigningKey } from '../rotate-signing-key.js';

/** The broker's `GET /v1/roles` and `POST /v1/keys/rotate` (docs/api-extensions.md). */
export function rolesAndKeysProviders(): Provider[] {
  return [
    {
      provide: RoleQueries,
      useFactory: (policy: PolicyState) => new RoleQueries(policy),
      inject: [PolicyState],
    },
    {
      provide: RotateSigningKey,
      useFactory: (uow: UnitOfWork, keys: SigningKeys, audit: AuditLog, policy: PolicyState) =>
        new RotateSigningKey(uow, keys, audit, policy),
      inject: [UnitOfWork, SigningKeys, AuditLog, PolicyState],
    },
  ];
}
