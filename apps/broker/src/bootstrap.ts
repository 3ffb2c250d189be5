import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '#config';
import type { BrokerOptions } from './app.module.js';
import { AppModule } from './app.module.js';
import { configureHttp } from './http/configure-http.js';

/** Builds the broker exactly as production runs it; tests call this too. */
export async function createBroker(config: AppConfig, options: BrokerOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config, options), { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(Logger));
  configureHttp(app);
  return app;
}
