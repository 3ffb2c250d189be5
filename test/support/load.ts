import { setTimeout as sleep } from 'node:timers/promises';

/** One HTTP call of a load: when it left and came back, and its status or why it got none. */
export interface Call {
  what: string;
  startedAt: number;
  endedAt: number;
  status?: number;
  body?: Record<string, unknown>;
  /** The connection failed (refused, reset, closed): no answer at all. */
  error?: string;
}

/** Calls `url` and records the outcome; never throws, never waits more than 20 s. */
export async function recordCall(
  calls: Call[],
  what: string,
  url: string,
  init: { method?: string; token?: string; body?: object } = {},
): Promise<Call> {
  const startedAt = Date.now();
  let call: Call;
  try {
    const response = await fetch(url, {
      method: init.method ?? (init.body ? 'POST' : 'GET'),
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    call = { what, startedAt, endedAt: Date.now(), status: response.status, body };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    call = { what, startedAt, endedAt: Date.now(), error: reason };
  }
  calls.push(call);
  return call;
}

/** Polls `url` every `everyMs` until `stop()` says so, recording each answer. */
export async function poll(
  calls: Call[],
  what: string,
  url: string,
  stop: () => boolean,
  everyMs = 50,
  token?: string,
): Promise<void> {
  while (!stop()) {
    await recordCall(calls, what, url, { token });
    await sleep(everyMs);
  }
}
