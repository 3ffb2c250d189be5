import { Controller, Get, Header } from '@nestjs/common';
import { HealthController } from '#access';
import { LogKeys, SigningKeys } from '#credentials';
import { Public } from '../http/public.decorator.js';

/** The health and metrics routes, public: the auth guard lets them through. */
@Public()
@Controller()
export class BrokerHealthController extends HealthController {}

@Public()
@Controller()
export class OpsController {
  constructor(
    private readonly keys: SigningKeys,
    private readonly logKeys: LogKeys,
  ) {}

  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=60')
  jwks(): Promise<object> {
    return this.keys.jwks();
  }

  /** Keys for receipts and evidence, retired ones included (docs/evidence.md). */
  @Get('.well-known/countersign-evidence-keys.json')
  @Header('Cache-Control', 'public, max-age=60')
  evidenceKeys(): Promise<object> {
    return this.keys.evidenceKeys();
  }

  /** The audit log's note verifier key, for its signed checkpoints (docs/api-extensions.md). */
  @Get('.well-known/countersign-log-key')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=60')
  async logKey(): Promise<string> {
    return `${await this.logKeys.verifierKey()}\n`;
  }

  /** Every log key's verifier key, oldest first, one a line: checkpoints signed before a rotation. */
  @Get('.well-known/countersign-log-keys')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=60')
  async allLogKeys(): Promise<string> {
    return (await this.logKeys.verifierKeys()).map((vkey) => `${vkey}\n`).join('');
  }
}
