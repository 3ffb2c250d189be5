import { Controller, Get, Header, Param } from '@nestjs/common';
import { DomainError } from '#domain';
import { DemoIssuer } from '#identity';
import { Public } from '../http/public.decorator.js';

/**
 * The demo identity provider. This controller is registered only when the built-in demo config is
 * in use (see AppModule): with any real config these routes do not exist.
 */
@Public()
@Controller('demo')
export class DemoController {
  constructor(private readonly issuer: DemoIssuer) {}

  @Get('jwks.json')
  jwks(): object {
    return this.issuer.jwks;
  }

  @Get('users')
  users(): object {
    return { items: this.issuer.listUsers() };
  }

  /** `TOKEN=$(curl -s localhost:3000/demo/token/alice)`: a bearer token for a demo user. */
  @Get('token/:user')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async token(@Param('user') user: string): Promise<string> {
    const token = await this.issuer.tokenFor(user);
    if (!token) throw new DomainError('not_found', 'no such demo user');
    return `${token}\n`;
  }
}
