// A revocation worker in its own process whose provider hangs mid-revocation, so a test can
// SIGKILL it there. Plain JavaScript over the build in dist/: a child process has no jest transform.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { parseConfig } from '../../../dist/libs/config/src/index.js';
import { WorkerModule } from '../../../dist/apps/worker/src/worker.module.js';

const config = parseConfig(process.env.CHILD_CONFIG_YAML, process.env);
const hanging = {
  type: 'jwt',
  revoke(grant) {
    writeFileSync(process.env.CHILD_MARKER, grant.id);
    return new Promise(() => undefined);
  },
};
const module = WorkerModule.forRoot(config, {
  providers: [hanging],
  runSweep: false,
  catchUpAtStartup: false,
  workerOptions: { lockDuration: 2000, stalledInterval: 1000 },
});
await NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
writeFileSync(process.env.CHILD_READY, 'ready');
