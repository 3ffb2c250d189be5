import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig, loadConfigOrExit } from '#config';
import { PolicyState, exitIfShutdownHangs, swapPolicyOnSignal } from '#access';
import { WorkerModule } from './worker.module.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit('countersign worker');
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config));
  exitIfShutdownHangs();
  // SIGTERM/SIGINT close the app: intervals stop and the database pool closes after them.
  // Not SIGHUP: that one reloads the policy (PolicyReload).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  // SIGHUP: the policy the worker decides with follows the file; the broker re-evaluates requests.
  swapPolicyOnSignal(app.get(PolicyState), () => loadConfig());
  console.log(`countersign worker running (${config.database.type})`);
}

main().catch((error: unknown) => {
  console.error(
    'countersign worker: failed to start:',
    error instanceof Error ? error.message : error,
  );
  process.exit(1);
});
