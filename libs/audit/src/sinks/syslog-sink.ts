import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import type { SinkBatch } from './batch.js';
import { inStreamOrder } from './batch.js';
import type { AuditSink } from './sink.js';
import { SinkError, errorCode } from './sink.js';
import { octetCounted, syslogHostname, syslogMessage } from './syslog-message.js';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface SyslogTarget {
  host: string;
  port: number;
  appName: string;
  /** Longest silence on the connection, and longest whole delivery, in milliseconds. */
  timeoutMs?: number;
}

/**
 * RFC 5424 messages over TCP with octet-counting framing (RFC 6587), one connection per batch.
 * Syslog has no acknowledgement: a batch counts as delivered once the receiver has read it to the
 * end and closed its side, which it does only after reading everything sent before our close.
 */
export class SyslogSink implements AuditSink {
  readonly kind = 'syslog';
  private readonly hostname = syslogHostname(hostname());

  constructor(
    readonly name: string,
    private readonly target: SyslogTarget,
  ) {}

  async deliver(batch: SinkBatch, signal: AbortSignal): Promise<void> {
    const header = { hostname: this.hostname, appName: this.target.appName };
    const frames = inStreamOrder(batch).map((record) =>
      octetCounted(syslogMessage(record, header)),
    );
    try {
      await this.send(Buffer.concat(frames), signal);
    } catch (error) {
      throw new SinkError(`syslog delivery failed (${errorCode(error)})`);
    }
  }

  private send(payload: Buffer, signal: AbortSignal): Promise<void> {
    const timeoutMs = this.target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<void>((resolve, reject) => {
      signal.throwIfAborted();
      const socket: Socket = connect({ host: this.target.host, port: this.target.port });
      const fail = (error: Error) => socket.destroy(error);
      const stop = () =>
        fail(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      const deadline = setTimeout(() => fail(timeoutError()), timeoutMs);
      signal.addEventListener('abort', stop, { once: true });
      socket.setTimeout(timeoutMs, () => fail(timeoutError()));
      // Whatever the receiver says is not syslog's business: read and drop it.
      socket.resume();
      socket.once('connect', () => socket.end(payload));
      socket.once('close', (hadError) => {
        clearTimeout(deadline);
        signal.removeEventListener('abort', stop);
        if (hadError) return; // rejected by 'error'
        if (socket.writableFinished) resolve();
        else reject(new Error('closed before the batch was written'));
      });
      socket.once('error', reject);
    });
  }
}

function timeoutError(): Error {
  const error = new Error('timed out');
  error.name = 'TimeoutError';
  return error;
}
