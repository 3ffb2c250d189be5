import { redisErrorLog } from './redis-error-log.js';

describe('redisErrorLog', () => {
  it('logs the first error, then at most one a minute with how many it left out', () => {
    const lines: string[] = [];
    let now = 1_000_000;
    const log = redisErrorLog(
      { warn: (line: string) => lines.push(line) },
      'queue',
      60_000,
      () => now,
    );
    log(new Error('connect ECONNREFUSED'));
    now += 1000;
    log(new Error('connect ECONNREFUSED'));
    now += 1000;
    log('a string');
    expect(lines).toEqual(['queue: connect ECONNREFUSED']);
    now += 60_000;
    log(new Error('Connection is closed.'));
    expect(lines).toEqual([
      'queue: connect ECONNREFUSED',
      'queue: Connection is closed. (2 more since the last)',
    ]);
  });
});
