import { Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DomainError } from '#domain';
import { ErrorFilter } from './error.filter.js';
import { isDatabaseUnavailable } from './unavailable.js';

/** An error as node-postgres or node:net raises it: a message and a string `code`. */
function coded(code: string, message = `failure ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', coded('ECONNREFUSED', 'connect ECONNREFUSED 10.1.2.3:5432')],
    ['a reset connection', coded('ECONNRESET')],
    ['a connect timeout', coded('ETIMEDOUT')],
    ['SQLSTATE 08006 connection failure', coded('08006')],
    ['SQLSTATE 08001 cannot establish', coded('08001')],
    [
      'SQLSTATE 57P01 admin shutdown',
      coded('57P01', 'terminating connection due to administrator command'),
    ],
    ['SQLSTATE 57P02 crash shutdown', coded('57P02')],
    ['SQLSTATE 57P03 cannot connect now', coded('57P03', 'the database system is starting up')],
    ['SQLSTATE 53300 too many connections', coded('53300', 'sorry, too many clients already')],
    ['a socket closed under a query', new Error('Connection terminated unexpectedly')],
    ['a handshake timeout', new Error('Connection terminated due to connection timeout')],
    ['a pool that hands out nothing in time', new Error('timeout exceeded when trying to connect')],
    [
      'a client reused after its connection failed',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
  ])('recognises %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('looks through TypeORM, `cause` and AggregateError wrappers', () => {
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], coded('57P01')))).toBe(true);
    expect(isDatabaseUnavailable(new Error('outer', { cause: coded('ECONNRESET') }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([new Error('x'), coded('ECONNREFUSED')]))).toBe(
      true,
    );
  });

  it.each([
    ['a unique violation', new QueryFailedError('INSERT', [], coded('23505'))],
    ['a serialization failure', coded('40001')],
    ['a cancelled statement', coded('57014', 'canceling statement due to statement timeout')],
    ['a syntax error', coded('42601')],
    ['a numeric code', Object.assign(new Error('x'), { code: 8006 })],
    ['a domain error', new DomainError('unavailable', 'provider down')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    [
      'a closed client reused by the broker itself',
      new Error('Client was closed and is not queryable'),
    ],
    ['a non-error', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('leaves %s alone', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('stops at a cycle of causes', () => {
    const looping: Error & { cause?: unknown } = new Error('outer');
    looping.cause = looping;
    expect(isDatabaseUnavailable(looping)).toBe(false);
  });
});

describe('ErrorFilter on a lost database connection', () => {
  const filter = new ErrorFilter();

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('answers 503 unavailable in words that name no host', () => {
    const [status, body] = filter.describe(
      new QueryFailedError(
        'SELECT 1',
        [],
        coded('ECONNREFUSED', 'connect ECONNREFUSED 10.1.2.3:5432'),
      ),
    );
    expect(status).toBe(503);
    expect(body.error).toBe('unavailable');
    expect(JSON.stringify(body)).not.toMatch(/10\.1\.2\.3|5432|ECONNREFUSED|SELECT/);
  });

  it('keeps every other failure a bare 500', () => {
    expect(filter.describe(coded('23505'))).toEqual([
      500,
      { error: 'internal_error', message: 'internal error' },
    ]);
  });
});
