import type { Page } from './api-types.js';
import type { TokenSource } from './broker-errors.js';
import { brokerError, unreachable } from './broker-errors.js';
import { CliError, ExitCode } from './exit-codes.js';

export type Fetch = typeof fetch;
export type Query = Record<string, string | number | boolean | undefined>;

export interface Token {
  value: string;
  source: TokenSource;
}

const TIMEOUT_MS = 30_000;
/** Largest page the API serves (docs/api.md §4). */
const MAX_PAGE = 200;

/** The broker's HTTP API over fetch. It never puts the token in an error or a message. */
export class BrokerClient {
  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: Fetch,
    readonly token?: Token,
  ) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.call<T>('GET', withQuery(path, query));
  }

  post<T>(path: string, body: object = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  /** A text resource that needs no token (the demo issuer's `/demo/token/<user>`). */
  async text(path: string): Promise<string> {
    const response = await this.send('GET', path);
    if (!response.ok) throw brokerError(response.status, await readJson(response));
    return response.text();
  }

  /**
   * A document to keep byte for byte (the sealed evidence bundle): the body as the broker sent
   * it, never parsed and re-serialised.
   */
  async bytes(path: string): Promise<Buffer> {
    const token = this.requireToken();
    const response = await this.send('GET', path);
    if (!response.ok) {
      const body = await readJson(response);
      throw brokerError(response.status, body, token.source, response.headers.get('retry-after'));
    }
    return Buffer.from(await response.arrayBuffer());
  }

  /** Follows `nextCursor` until `max` items; `nextCursor` is returned when more remain. */
  async collect<T>(path: string, query: Query, max: number): Promise<Page<T>> {
    const items: T[] = [];
    let cursor: string | undefined;
    for (;;) {
      const limit = Math.min(MAX_PAGE, max - items.length);
      const page = await this.get<Page<T>>(path, { ...query, limit, cursor });
      items.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) return { items };
      if (items.length >= max) return { items, nextCursor: cursor };
    }
  }

  private requireToken(): Token {
    if (!this.token) {
      throw new CliError(ExitCode.unauthenticated, `not signed in to ${this.baseUrl}`, {
        code: 'unauthenticated',
        hint: 'run `countersign login` or set COUNTERSIGN_TOKEN',
      });
    }
    return this.token;
  }

  private async call<T>(method: string, path: string, body?: object): Promise<T> {
    const token = this.requireToken();
    const response = await this.send(method, path, body);
    const parsed = await readJson(response);
    if (!response.ok) {
      throw brokerError(response.status, parsed, token.source, response.headers.get('retry-after'));
    }
    if (parsed === undefined) {
      throw new CliError(ExitCode.error, `unexpected answer from ${this.baseUrl}${path}`, {
        code: 'unexpected_answer',
        hint: 'is --url a countersign broker?',
      });
    }
    return parsed as T;
  }

  private async send(method: string, path: string, body?: object): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token.value}`;
    if (body) headers['content-type'] = 'application/json';
    try {
      return await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw unreachable(this.baseUrl, error);
    }
  }
}

function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!(response.headers.get('content-type') ?? '').includes('json')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
