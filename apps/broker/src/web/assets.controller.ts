import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../http/public.decorator.js';
import { APPROVE_SCRIPT } from './approve-script.js';
import { COPY_SCRIPT } from './credential-page.js';
import { STYLESHEET } from './layout.js';
import { PASSKEY_SCRIPT } from './passkey-script.js';

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

  /** The credential page's copy buttons: the one script, allowed on that page alone. */
  @Get('copy.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  copyScript(): string {
    return COPY_SCRIPT;
  }

  /** The passkey registration ceremony: allowed on the registration page alone. */
  @Get('passkey.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  passkeyScript(): string {
    return PASSKEY_SCRIPT;
  }

  /** The signed-approval ceremony: allowed on a request page only where its approver signs. */
  @Get('approve.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  approveScript(): string {
    return APPROVE_SCRIPT;
  }
}
