/**
 * One broker in a process of its own, for the two-process run of bench/mint.ts: the config's YAML
 * and environment come from BENCH_BROKER_YAML and the usual variables; it prints its port as one
 * JSON line on stdout and closes on SIGTERM (Nest's shutdown hooks, as in production).
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { parseConfig, resolveLogLevel } from '#config';
import { createBroker } from '../apps/broker/src/bootstrap.js';

async function main(): Promise<void> {
  const config = parseConfig(process.env.BENCH_BROKER_YAML ?? '', process.env);
  const app = await createBroker(config, {
    logLevel: resolveLogLevel({ LOG_LEVEL: process.env.BENCH_LOG_LEVEL }, 'silent'),
    backgroundJobs: false,
  });
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
