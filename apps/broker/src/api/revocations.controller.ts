import { Controller, Get, Header } from '@nestjs/common';
import { RevocationList } from '#access';

/** docs/api.md §8: the revoked, unexpired `jti`s as a JWT signed with the credential key. */
@Controller('v1/revocations')
export class RevocationsController {
  constructor(private readonly list: RevocationList) {}

  @Get()
  @Header('Content-Type', 'application/jwt')
  @Header('Cache-Control', 'private, max-age=30')
  current(): Promise<string> {
    return this.list.signed();
  }
}
