import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '#config';
import type { BrokerOptions } from './app.module.js';
import { AppModule } from './app.module.js';
import { configureHttp } from './http/configure-http.js';
import { PinoLogger, createPino } from '#access';
import { accessLog } from './http/logging.js';

/** Builds the broker exactly as production runs it; tests call this too. */
export async function createBroker(
  config: AppConfig,
  options: BrokerOptions = {},
): Promise<INestApplication> {
  const pino = createPino(options.logLevel ?? config.logLevel);
  const app = await NestFactory.create(AppModule.forRoot(config, options), {
    bodyParser: false,
    // Throw instead of process.exit(1), so the caller reports why (and tests see it).
    abortOnError: false,
    logger: new PinoLogger(pino),
  });
  app.use(accessLog(pino));
  configureHttp(app);
  return app;
}
