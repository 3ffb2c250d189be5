import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether this process has been asked to stop: readiness answers 503 from that instant. */
export class ShutdownState {
  private since?: number;

  get draining(): boolean {
    return this.since !== undefined;
  }

  begin(): void {
    this.since ??= Date.now();
  }
}

export interface ShutdownTiming {
  /** How long readiness says 503 while requests are still served, so a load balancer notices. */
  delayMs: number;
  /** After the signal, the process exits (code 1) if it has not closed gracefully by then. */
  deadlineMs: number;
}

/**
 * On SIGTERM or SIGINT: readiness 503 at once, requests still served for `delayMs`, then the HTTP
 * server stops accepting and closes each keep-alive connection as soon as it is idle, in-flight
 * requests finish, the app closes (jobs in progress finish: the revocation processor waits for
 * them) and the process exits 0. Not SIGHUP: that one reloads the policy (PolicyReload).
 *
 * A forced exit after `deadlineMs` is the net under it: a graceful close can wait forever on a
 * dependency that went away (BullMQ closing against an unreachable Redis). Jobs and grants lose
 * nothing then: BullMQ retries a job whose lock lapses, and the database is the truth.
 */
export function drainOnSignal(app: INestApplication, timing: ShutdownTiming): void {
  const state = app.get(ShutdownState);
  const server = app.getHttpServer() as Server;
  const closeInFlightAfterAnswer = closeKeepAliveWhenDraining(server, state);
  const logger = new Logger('Shutdown');
  const drain = async (signal: NodeJS.Signals): Promise<void> => {
    if (state.draining) return;
    state.begin();
    closeInFlightAfterAnswer();
    setTimeout(() => {
      logger.error(`graceful shutdown took over ${timing.deadlineMs} ms; exiting`);
      process.exit(1);
    }, timing.deadlineMs).unref();
    logger.log(`${signal}: not ready; closing in ${timing.delayMs} ms`);
    try {
      await sleep(timing.delayMs);
      await closeHttp(server);
      await app.close();
    } catch (error) {
      logger.error(
        `graceful shutdown failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      process.exit(1);
    }
    logger.log('closed; exiting');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.on(signal, (name) => void drain(name));
}

/**
 * Once draining, every answer says `Connection: close` (those already in progress too, unless their
 * headers are out) and a keep-alive connection is closed as soon as its answer is sent: otherwise
 * it would idle for the keep-alive timeout (65 s) and hold the server open.
 */
function closeKeepAliveWhenDraining(server: Server, state: ShutdownState): () => void {
  const inFlight = new Set<ServerResponse>();
  const closeAfter = (response: ServerResponse): void => {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  };
  // Before Express's listener, which may answer synchronously.
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (state.draining) closeAfter(response);
    inFlight.add(response);
    response.once('close', () => {
      inFlight.delete(response);
      if (state.draining) setImmediate(() => server.closeIdleConnections());
    });
  });
  return () => inFlight.forEach(closeAfter);
}

/** Stops accepting, closes idle connections, and resolves once in-flight requests are answered. */
function closeHttp(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
