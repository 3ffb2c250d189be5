import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../http/public.decorator.js';
import { STYLESHEET } from './layout.js';

/** The pages' one stylesheet, served from this origin so the CSP can say `style-src 'self'`. */
@Public()
@Controller('assets')
export class AssetsController {
  @Get('web.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  stylesheet(): string {
    return STYLESHEET;
  }
}
