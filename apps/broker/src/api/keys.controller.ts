import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { RotateSigningKey } from '#access';
import type { KeyRotation } from '#access';
import type { AuthenticatedPrincipal } from '#identity';
import { CurrentPrincipal } from '../http/principal.decorator.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { emptyBody } from './schemas.js';

/** `POST /v1/keys/rotate` (docs/api-extensions.md): admins rotate the credential signing key. */
@Controller('v1/keys')
export class KeysController {
  constructor(private readonly rotateSigningKey: RotateSigningKey) {}

  @Post('rotate')
  @HttpCode(200)
  rotate(
    @CurrentPrincipal() principal: AuthenticatedPrincipal,
    @Body(new ZodPipe(emptyBody)) _body: object,
  ): Promise<KeyRotation> {
    return this.rotateSigningKey.execute(principal);
  }
}
