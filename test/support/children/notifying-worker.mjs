// A worker in its own process that delivers the notification outbox with a short lease (2 s), so
// a test can SIGKILL it with sends in flight and see another take over once the lease lapses.
// Plain JavaScript over the build in dist/: a child process has no jest transform.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { parseConfig } from '../../../dist/libs/config/src/index.js';
import { WorkerModule } from '../../../dist/apps/worker/src/worker.module.js';

const config = parseConfig(process.env.CHILD_CONFIG_YAML, process.env);
const module = WorkerModule.forRoot(config, {
  runSweep: false,
  catchUpAtStartup: false,
  notifications: { dispatcher: { pollMs: 200, leaseMs: 2000, firstRetryMs: 250 } },
});
await NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
writeFileSync(process.env.CHILD_READY, 'ready');
