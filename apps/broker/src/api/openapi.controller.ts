import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../http/public.decorator.js';
import type { OpenApiDocument } from './openapi/document.js';
import { openApiDocument } from './openapi/document.js';

/** `GET /openapi.json`: the API described (OpenAPI 3.1), built once; public like the key sets. */
@Public()
@Controller()
export class OpenApiController {
  private readonly document = openApiDocument();

  @Get('openapi.json')
  @Header('Cache-Control', 'public, max-age=3600')
  describe(): OpenApiDocument {
    return this.document;
  }
}
