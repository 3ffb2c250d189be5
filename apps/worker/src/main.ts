import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig, loadConfigOrExit, resolveShutdownEnv, resolveWorkerPort } from '#config';
import {
  PolicyBroadcast,
  PolicyState,
  drainOnSignal,
  swapPolicyOnPeerChange,
  swapPolicyOnSignal,
} from '#access';
import { createWorker } from './bootstrap.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit('countersign worker');
  // Resolved before anything starts, so a bad WORKER_PORT stops the worker at once.
  const port = resolveWorkerPort(process.env);
  const shutdown = resolveShutdownEnv(process.env);
  const app = await createWorker(config);
  // SIGTERM/SIGINT: not ready, jobs in progress finish, intervals stop, the database pool closes.
  drainOnSignal(app, shutdown);
  // SIGHUP: the policy the worker decides with follows the file; the broker re-evaluates requests.
  swapPolicyOnSignal(app.get(PolicyState), () => loadConfig());
  swapPolicyOnPeerChange(app.get(PolicyBroadcast), app.get(PolicyState), () => loadConfig());
  await app.listen(port);
  new Logger('Worker').log(
    `countersign worker running (${config.database.type}), health and metrics on port ${port}`,
  );
}

main().catch((error: unknown) => {
  console.error(
    'countersign worker: failed to start:',
    error instanceof Error ? error.message : error,
  );
  process.exit(1);
});
