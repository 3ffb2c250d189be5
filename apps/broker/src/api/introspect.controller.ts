import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { IntrospectCredential } from '#access';
import type { Introspection } from '#access';
import { ZodPipe } from '../http/zod.pipe.js';
import { introspectBody } from './schemas.js';

@Controller('v1/introspect')
export class IntrospectController {
  constructor(private readonly introspect: IntrospectCredential) {}

  @Post()
  @HttpCode(200)
  execute(@Body(new ZodPipe(introspectBody)) body: { token: string }): Promise<Introspection> {
    return this.introspect.execute(body.token);
  }
}
