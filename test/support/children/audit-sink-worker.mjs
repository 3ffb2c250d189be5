// A worker process streaming the audit log to the sinks of its config, so a test can SIGKILL it
// mid-stream. Plain JavaScript over the build in dist/: a child process has no jest transform.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { parseConfig } from '../../../dist/libs/config/src/index.js';
import { WorkerModule } from '../../../dist/apps/worker/src/worker.module.js';

const config = parseConfig(process.env.CHILD_CONFIG_YAML, process.env);
const module = WorkerModule.forRoot(config, { runSweep: false, catchUpAtStartup: false });
const app = await NestFactory.createApplicationContext(module, {
  logger: false,
  abortOnError: false,
});
app.enableShutdownHooks();
writeFileSync(process.env.CHILD_READY, 'ready');
