import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { loadConfigOrExit, resolveShutdownEnv } from '#config';
import { createBroker } from './bootstrap.js';
import { PolicyReload, drainOnSignal } from '#access';

async function main(): Promise<void> {
  const config = loadConfigOrExit('countersign');
  // Resolved before anything starts, so a bad SHUTDOWN_DELAY stops the broker at once.
  const shutdown = resolveShutdownEnv(process.env);
  const app = await createBroker(config);
  drainOnSignal(app, shutdown);
  const server = app.getHttpServer() as Server;
  // Longer than the usual load balancer idle timeout (60 s), so the proxy, not Node, closes idle
  // keep-alive connections: otherwise a request can race a socket Node is closing (a 502).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // SIGHUP reloads the policy from COUNTERSIGN_CONFIG (docs/policy-changes.md).
  process.on('SIGHUP', () => app.get(PolicyReload).onSignal());
  await app.listen(config.port);
  const mode = config.demo ? 'demo config' : 'configured';
  const logger = new Logger('Broker');
  logger.log(
    `countersign broker listening on ${config.publicUrl} (${mode}, ${config.database.type})`,
  );
  if (config.demo) logger.log(`demo tokens: curl -s ${config.publicUrl}/demo/token/alice`);
}

main().catch((error: unknown) => {
  console.error('countersign: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
