import type { RedisOptions } from 'ioredis';
import { Redis } from 'ioredis';
import { RedisConnection, createIORedisClient } from 'bullmq';

/** What ioredis's own close handler does when no reconnection follows; private in its types. */
interface ClosingInternals {
  setStatus(status: 'end'): void;
  flushQueue(error: Error): void;
  /** The commands in flight when the socket closed, kept to resend (a Denque). */
  prevCommandQueue: { shift(): { command: { reject(error: Error): void } } | undefined } | null;
}

/**
 * An ioredis client whose `disconnect()` ends it even while it waits to reconnect.
 *
 * ioredis 5 leaves a client that is `reconnecting` (its socket closed, a retry timer armed) in that
 * state for good when it is disconnected: the timer is cleared, but the end comes from a socket
 * `close` event that already happened, so `end` is never emitted and the commands it holds never
 * settle (redis/ioredis#1247, redis/ioredis#2169). BullMQ's `Worker.close()` waits for that `end`
 * on its blocking connection (taskforcesh/bullmq#4656), so a broker or worker asked to stop after
 * a Redis outage, while that connection waited out its backoff (up to 20 s), never stopped
 * (redis-outage.e2e, and SIGTERM in production). Here a disconnect in that state finishes as
 * ioredis's close handler does when it gives up: status `end`, and every held command rejected.
 * Once ioredis itself ends the client, the status is no longer `reconnecting` and this does
 * nothing.
 */
export class EndingRedis extends Redis {
  override disconnect(reconnect = false): void {
    const stranded = !reconnect && this.status === 'reconnecting';
    super.disconnect(reconnect);
    if (!stranded || this.status !== 'reconnecting') return;
    const internals = this as unknown as ClosingInternals;
    const closed = new Error('Connection is closed.');
    internals.setStatus('end');
    internals.flushQueue(closed);
    const inFlight = internals.prevCommandQueue;
    internals.prevCommandQueue = null;
    for (let item = inFlight?.shift(); item; item = inFlight?.shift()) item.command.reject(closed);
  }

  override duplicate(override?: Partial<RedisOptions>): EndingRedis {
    return new EndingRedis({ ...this.options, ...override });
  }
}

/**
 * BullMQ's documented hook for the clients it creates, made to build EndingRedis exactly as it
 * builds its own ioredis clients. Process-wide: every BullMQ connection here is countersign's.
 */
export function useEndingRedisForBullmq(): void {
  RedisConnection.clientFactory = (options) => {
    const { url, ...rest } = options as RedisOptions & { url?: string };
    return createIORedisClient(url ? new EndingRedis(url, rest) : new EndingRedis(rest));
  };
}
