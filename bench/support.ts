import { randomBytes } from 'node:crypto';
import { Agent, createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CryptoKey, JWK } from 'jose';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';

// The few bits of test/support the benchmark needs: test/ is not compiled into dist/.

export const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A token issuer whose JWKS is served over HTTP on localhost, as a real identity provider's is. */
export class BenchIssuer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
  ) {}

  static async start(): Promise<BenchIssuer> {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const publicJwk: JWK = {
      ...(await exportJWK(publicKey)),
      kid: 'bench-key',
      alg: 'EdDSA',
      use: 'sig',
    };
    const server = createServer((req, res) => {
      if (req.url === '/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [publicJwk] }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new BenchIssuer(server, `http://127.0.0.1:${port}`, privateKey, publicJwk);
  }

  get jwksUri(): string {
    return `${this.url}/jwks.json`;
  }

  token(sub: string, groups: string[]): Promise<string> {
    return new SignJWT({ groups })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'bench-key', typ: 'JWT' })
      .setIssuer(this.url)
      .setAudience('countersign')
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(this.privateKey);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
): Promise<T[]> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A new, empty PostgreSQL database, dropped (connections and all) by `drop`. */
export async function createDatabase(suffix = ''): Promise<BenchDatabase> {
  const name = `countersign_bench_${randomBytes(6).toString('hex')}${suffix}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    name,
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export interface HttpResponse {
  status: number;
  body: Record<string, unknown>;
}

/** A keep-alive JSON client on node:http: cheaper per call than fetch, so less of the CPU is ours. */
export class HttpClient {
  private agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
  }

  get(path: string, token?: string): Promise<HttpResponse> {
    return this.send('GET', path, token);
  }

  post(path: string, token: string, body: object): Promise<HttpResponse> {
    return this.send('POST', path, token, JSON.stringify(body));
  }

  /**
   * Drops the kept-alive sockets. Call it before a burst that follows an idle spell: the server
   * closes sockets idle for longer than its keep-alive timeout (5 s), and a request that reuses
   * one just as it closes fails with ECONNRESET or "socket hang up".
   */
  reset(): void {
    this.agent.destroy();
    this.agent = new Agent({ keepAlive: true, maxSockets: 256 });
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, token?: string, body?: string): Promise<HttpResponse> {
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.host, port: this.port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown>;
            try {
              parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            } catch {
              parsed = { text };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** Runs `total` tasks with at most `concurrency` in flight; returns wall time and CPU time used. */
export async function runConcurrently(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<{ seconds: number; cpuSeconds: number }> {
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const lane = async () => {
    while (next < total) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

export interface Percentiles {
  p50: number;
  p99: number;
}

/** Nearest-rank percentiles of a sample, in the sample's unit. */
export function percentiles(sample: readonly number[]): Percentiles {
  if (sample.length === 0) return { p50: NaN, p99: NaN };
  const sorted = [...sample].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  return { p50: at(0.5), p99: at(0.99) };
}

/** Counts failures by a short description, so a run reports what went wrong instead of dying. */
export class Failures {
  readonly counts = new Map<string, number>();

  add(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  get total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }

  describe(): string {
    return [...this.counts].map(([what, count]) => `${count}× ${what}`).join('; ');
  }
}
