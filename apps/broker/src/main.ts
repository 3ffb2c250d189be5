import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { loadConfigOrExit, resolveShutdownEnv } from '#config';
import { createBroker } from './bootstrap.js';
import { PolicyReload, drainOnSignal } from '#access';

async function main(): Promise<void> {
  const config = loadConfigOrExit('countersign');
  // Resolved before anything starts, so a bad SHUTDOWN_DELAY stops the broker at once.
  const shutdown = resolveShutdownEnv(process.env);
  // Before migrations and keys: a second `npm start` should say why at once, not after start-up.
  await ensurePortFree(config.port);
  const app = await createBroker(config);
  drainOnSignal(app, shutdown);
  const server = app.getHttpServer() as Server;
  // Longer than the usual load balancer idle timeout (60 s), so the proxy, not Node, closes idle
  // keep-alive connections: otherwise a request can race a socket Node is closing (a 502).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // SIGHUP reloads the policy from COUNTERSIGN_CONFIG (docs/policy-changes.md).
  process.on('SIGHUP', () => app.get(PolicyReload).onSignal());
  await app.listen(config.port).catch((error: unknown) => {
    throw inUse(error, config.port) ?? error;
  });
  const mode = config.demo ? 'demo config' : 'configured';
  const logger = new Logger('Broker');
  logger.log(
    `countersign broker listening on ${config.publicUrl} (${mode}, ${config.database.type})`,
  );
  if (config.demo) logger.log(`demo tokens: curl -s ${config.publicUrl}/demo/token/alice`);
}

/** Listens on `port` and lets go again; refuses in words when something else holds it. */
async function ensurePortFree(port: number): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(inUse(error, port) ?? error));
    probe.listen(port, resolve);
  });
  await new Promise((resolve) => probe.close(resolve));
}

function inUse(error: unknown, port: number): Error | undefined {
  return (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
    ? new Error(`port ${port} is in use: set PORT to a free one`)
    : undefined;
}

main().catch((error: unknown) => {
  console.error('countersign: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
