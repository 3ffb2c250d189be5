import { resolveShutdownEnv } from './index.js';

describe('resolveShutdownEnv', () => {
  it('no delay and a 20 s deadline by default; an empty value counts as unset', () => {
    expect(resolveShutdownEnv({})).toEqual({ delayMs: 0, deadlineMs: 20_000 });
    expect(resolveShutdownEnv({ SHUTDOWN_DELAY: '', SHUTDOWN_TIMEOUT: '' })).toEqual({
      delayMs: 0,
      deadlineMs: 20_000,
    });
  });

  it('reads durations as the config writes them', () => {
    expect(resolveShutdownEnv({ SHUTDOWN_DELAY: '5s', SHUTDOWN_TIMEOUT: '1m' })).toEqual({
      delayMs: 5000,
      deadlineMs: 60_000,
    });
  });

  it.each([
    [{ SHUTDOWN_DELAY: '5 s' }, 'SHUTDOWN_DELAY'],
    [{ SHUTDOWN_DELAY: '-1' }, 'SHUTDOWN_DELAY'],
    [{ SHUTDOWN_TIMEOUT: '500ms' }, 'SHUTDOWN_TIMEOUT'],
    [{ SHUTDOWN_DELAY: '30s' }, 'SHUTDOWN_TIMEOUT'],
    [{ SHUTDOWN_DELAY: '10s', SHUTDOWN_TIMEOUT: '10s' }, 'SHUTDOWN_TIMEOUT'],
  ])('refuses %p, naming %s', (env, name) => {
    expect(() => resolveShutdownEnv(env)).toThrow(name);
  });
});
