import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import { PinoLogger, createPino } from '#access';
import type { AppConfig } from '#config';
import type { WorkerModuleOptions } from './worker.module.js';
import { WorkerModule } from './worker.module.js';

/** Builds the worker exactly as production runs it, its ops routes included; tests call this too. */
export async function createWorker(
  config: AppConfig,
  options: WorkerModuleOptions = {},
  nest: Pick<NestApplicationOptions, 'logger'> = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(WorkerModule.forRoot(config, options), {
    // JSON lines through pino at the configured level, as the broker logs.
    logger: new PinoLogger(createPino(config.logLevel)),
    ...nest,
    // Its routes are all GETs: no body is ever read.
    bodyParser: false,
    // Throw instead of process.exit(1), so the caller reports why (and tests see it).
    abortOnError: false,
  });
  app.use(helmet());
  return app;
}
