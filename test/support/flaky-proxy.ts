import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket;
}

/**
 * A TCP hop between a process and a server (Redis here) that a test can break: `hang()` makes the
 * connections it carries go silent and accepts new ones without ever answering (a hung server or
 * a network that drops packets), `stop()` closes them all and stops listening (refused), and
 * `forward()` carries traffic again, the silenced connections included (the server woke up).
 */
export class FlakyProxy {
  private mode: 'forward' | 'hang' = 'forward';
  private server: Server;
  private readonly pairs = new Set<Pair>();
  private readonly idle = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: number,
  ) {
    this.server = this.create();
  }

  static async start(target: number): Promise<FlakyProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const proxy = new FlakyProxy(port, target);
    await proxy.listen();
    return proxy;
  }

  private create(): Server {
    return createServer((client) => {
      client.on('error', () => undefined);
      if (this.mode === 'hang') {
        this.idle.add(client);
        client.on('close', () => this.idle.delete(client));
        return;
      }
      this.carry(client);
    });
  }

  private carry(client: Socket): void {
    const upstream = connect(this.target, '127.0.0.1');
    const pair = { client, upstream };
    this.pairs.add(pair);
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      client.destroy();
      this.pairs.delete(pair);
    });
  }

  private async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  /** Nothing answers any more: bytes sent either way wait in the proxy. */
  hang(): void {
    this.mode = 'hang';
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Every connection closed and connecting refused. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    for (const socket of this.idle) socket.destroy();
    await closed;
    this.server = this.create();
  }

  /** Carries traffic again: silenced connections resume and new ones are forwarded. */
  async forward(): Promise<void> {
    this.mode = 'forward';
    for (const { client, upstream } of this.pairs) {
      client.pipe(upstream);
      upstream.pipe(client);
    }
    for (const socket of this.idle) {
      this.idle.delete(socket);
      this.carry(socket);
    }
    if (!this.server.listening) await this.listen();
  }

  async close(): Promise<void> {
    await this.stop();
  }
}
