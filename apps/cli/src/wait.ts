import type { AccessRequest } from './api-types.js';
import type { BrokerClient } from './broker-client.js';
import type { OutputStream } from './context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { formatDuration } from './format.js';
import { terminalText } from './terminal-text.js';
import { requestLine } from './views.js';

export interface WaitOptions {
  intervalMs: number;
  /** Give up (exit 13) after this long; undefined waits until the request ends. */
  timeoutMs?: number;
  /** Where progress goes; undefined shows none (under --json). */
  progress?: OutputStream;
  now: () => number;
}

/** Consecutive failed polls tolerated (broker restarting, a blip) before giving up. */
const MAX_FAILED_POLLS = 5;

/** The exit code a finished request's status stands for. */
export function outcomeExitCode(request: AccessRequest): ExitCode {
  switch (request.status) {
    case 'approved':
    case 'issued':
      return ExitCode.ok;
    case 'denied':
      return ExitCode.denied;
    case 'expired':
      return ExitCode.expired;
    case 'cancelled':
      return ExitCode.cancelled;
    case 'pending':
      return ExitCode.stillPending;
  }
}

/** Polls the request until it leaves `pending`, showing each change (or a spinner on a TTY). */
export async function waitForDecision(
  client: BrokerClient,
  initial: AccessRequest,
  options: WaitOptions,
): Promise<AccessRequest> {
  const progress = new Progress(options.progress);
  const started = options.now();
  let request = initial;
  let failures = 0;
  progress.show(request);
  try {
    while (request.status === 'pending') {
      if (options.timeoutMs !== undefined && options.now() - started >= options.timeoutMs) {
        throw new CliError(
          ExitCode.stillPending,
          `request ${request.id} still pending after ${formatDuration(options.timeoutMs / 1000)}`,
          { code: 'still_pending', hint: `check later with \`countersign show ${request.id}\`` },
        );
      }
      const remaining = (options.timeoutMs ?? Infinity) - (options.now() - started);
      await sleep(Math.min(options.intervalMs * Math.min(2 ** failures, 8), remaining));
      try {
        request = await client.get<AccessRequest>(`/v1/requests/${request.id}`);
        failures = 0;
      } catch (error) {
        const transient = error instanceof CliError && error.exitCode === ExitCode.unavailable;
        if (!transient || ++failures > MAX_FAILED_POLLS) throw error;
        progress.warn(`${error.message}; retrying`);
        continue;
      }
      progress.show(request);
    }
  } finally {
    progress.stop();
  }
  return request;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A line per change on a pipe or file; one self-rewriting spinner line on a terminal. */
class Progress {
  private last = '';
  private frame = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly out?: OutputStream) {}

  show(request: AccessRequest): void {
    // The line goes next to the spinner's own CR and erase-line: escaped here as well.
    const line = terminalText(requestLine(request));
    if (!this.out || line === this.last) return;
    this.last = line;
    if (!this.out.isTTY) {
      this.out.write(`${line}\n`);
    } else if (request.status !== 'pending') {
      this.stop();
      this.out.write(`${line}\n`);
    } else {
      this.timer ??= setInterval(() => this.draw(), 100).unref();
      this.draw();
    }
  }

  warn(text: string): void {
    if (!this.out) return;
    const shown = terminalText(text);
    this.out.write(this.out.isTTY ? `\r\u001b[K${shown}\n` : `${shown}\n`);
  }

  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.out?.write('\r\u001b[K');
    }
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.out?.write(`\r\u001b[K${FRAMES[this.frame]} ${this.last}`);
  }
}
