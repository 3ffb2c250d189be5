import { jest } from '@jest/globals';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { TestBroker } from '../support/broker.js';
import { startBroker } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { freshDatabase } from '../support/databases.js';
import { TestIssuer } from '../support/test-issuer.js';

const POSTGRES_PORT = 5432;

type ProxyMode = 'forward' | 'close' | 'blackhole';

/**
 * A TCP hop between the broker and PostgreSQL that the test can break: `close` accepts and hangs
 * up at once (a server restarting), `blackhole` accepts and never answers (a network that drops
 * packets); stop() stops listening (connection refused).
 */
class FlakyProxy {
  mode: ProxyMode = 'forward';
  private server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(readonly port: number) {
    this.server = this.create();
  }

  static async start(): Promise<FlakyProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const proxy = new FlakyProxy(port);
    await proxy.listen();
    return proxy;
  }

  private create(): Server {
    return createServer((client) => {
      this.track(client);
      if (this.mode === 'close') client.destroy();
      if (this.mode !== 'forward') return;
      const upstream = this.track(connect(POSTGRES_PORT, '127.0.0.1'));
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  private track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    return socket;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  /** Stops listening: connecting is refused until listen() again. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.server = this.create();
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.stop();
  }
}

/** Ends every session of the database but the admin's own, as a PostgreSQL restart would. */
async function terminateBackends(database: string): Promise<number> {
  const admin = new pg.Client({
    connectionString: `postgres://postgres@127.0.0.1:${POSTGRES_PORT}/postgres`,
  });
  await admin.connect();
  try {
    const result = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return result.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describe('a database outage (PostgreSQL)', () => {
  let issuer: TestIssuer;
  let proxy: FlakyProxy;
  let database: FreshDatabase;
  let broker: TestBroker;
  let databaseName: string;
  let warnings: string[];

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    proxy = await FlakyProxy.start();
    const fresh = await freshDatabase('postgres');
    const url = new URL(fresh.url);
    databaseName = url.pathname.slice(1);
    url.port = String(proxy.port);
    database = { ...fresh, url: url.toString() };
    broker = await startBroker({ kind: 'postgres', issuer, database });
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await broker.close();
    await proxy.close();
    await database.drop();
    await issuer.close();
  });

  const list = async () =>
    broker.http.get('/v1/requests').set('authorization', `Bearer ${await broker.token('alice')}`);
  const create = async () =>
    broker.http
      .post('/v1/requests')
      .set('authorization', `Bearer ${await broker.token('alice')}`)
      .send({ role: 'two-person', duration: '10m' });

  /** 503 `unavailable` with Retry-After, and nothing of the connection or the code in the answer. */
  function expectUnavailable(response: Awaited<ReturnType<typeof list>>): void {
    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      error: 'unavailable',
      message: 'the database is unavailable; retry later',
    });
    expect(response.headers['retry-after']).toBe('5');
    expect(response.text).not.toMatch(
      new RegExp(`127\\.0\\.0\\.1|${proxy.port}|${POSTGRES_PORT}|ECONN|terminat|\\bat \\S+:\\d+`),
    );
  }

  it('answers 503 unavailable with Retry-After while PostgreSQL is unreachable, and serves again once it is back', async () => {
    await create().then((response) => expect(response.status).toBe(201));
    await list().then((response) => expect(response.status).toBe(200));

    // A restart: the sessions the broker holds are ended, new ones are hung up on.
    proxy.mode = 'close';
    expect(await terminateBackends(databaseName)).toBeGreaterThan(0);
    expectUnavailable(await list());
    expectUnavailable(await create());

    // Down: nothing listens.
    await proxy.stop();
    expectUnavailable(await list());
    expectUnavailable(await create());

    // A network that swallows packets: the connection wait (5 s) bounds the request.
    proxy.mode = 'blackhole';
    await proxy.listen();
    expectUnavailable(await list());

    proxy.mode = 'forward';
    await list().then((response) => expect(response.status).toBe(200));
    const created = await create();
    expect(created.status).toBe(201);
    const listed = await list();
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain(created.body.id as string);

    // Logged as an outage, one line each, not as a 500 with its stack.
    expect(warnings.filter((line) => line.startsWith('database unavailable')).length).toBe(5);
  }, 30_000);
});
