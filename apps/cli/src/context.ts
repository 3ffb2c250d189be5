import type { Fetch, Token } from './broker-client.js';
import { BrokerClient } from './broker-client.js';
import type { Paint } from './format.js';
import { colourStatus } from './format.js';
import { terminalText } from './terminal-text.js';
import type { TokenStore } from './token-store.js';

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface InputStream extends AsyncIterable<string | Buffer> {
  isTTY?: boolean;
}

/** Everything the CLI touches outside itself, so tests can drive it in-process. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  stdin?: InputStream;
  fetch?: Fetch;
}

/** What a command produced: one JSON document under --json, text otherwise. */
export interface Outcome {
  data: unknown;
  text: string;
  exitCode?: number;
  /** `text` is itself the JSON document (the evidence bundle): printed as is, even under --json. */
  verbatim?: true;
}

/** A command's work: its Outcome, from the context and commander's arguments. */
export type Handler = (ctx: Context, ...args: never[]) => Promise<Outcome> | Outcome;

/** Turns a Handler into a commander action (program.ts builds the one in use). */
export type Act = (handler: Handler) => (...args: unknown[]) => Promise<void>;

/** Per-invocation state shared by the commands. */
export class Context {
  constructor(
    readonly io: CliIo,
    readonly url: string,
    readonly json: boolean,
    readonly store: TokenStore,
    readonly fetch: Fetch,
    readonly now: () => number = Date.now,
  ) {}

  /** A client carrying the token: COUNTERSIGN_TOKEN first, then the stored login for this URL. */
  async client(): Promise<BrokerClient> {
    return new BrokerClient(this.url, this.fetch, await this.token());
  }

  anonymous(): BrokerClient {
    return new BrokerClient(this.url, this.fetch);
  }

  async token(): Promise<Token | undefined> {
    const fromEnv = this.io.env.COUNTERSIGN_TOKEN?.trim();
    if (fromEnv) return { value: fromEnv, source: 'env' };
    const stored = await this.store.get(this.url);
    return stored ? { value: stored.token, source: 'store' } : undefined;
  }

  /**
   * A note for the person at the terminal; kept off stderr under --json (stderr is JSON then).
   * Escaped as it is written, like all output (terminal-text.ts).
   */
  note(text: string): void {
    if (!this.json) this.io.stderr.write(`${terminalText(text, 'output')}\n`);
  }

  /** Colours status words, only on a terminal and unless NO_COLOR is set. */
  paintStatus(statusColumn: number): Paint {
    const colour = this.io.stdout.isTTY === true && !this.io.env.NO_COLOR;
    return (column, text) => (colour && column === statusColumn ? colourStatus(text) : text);
  }
}
