import type { AccessRequest } from './api-types.js';
import { brokerError, unreachable } from './broker-errors.js';
import { ExitCode } from './exit-codes.js';
import { outcomeExitCode } from './wait.js';

describe('broker errors become exit codes with a hint', () => {
  it.each<[number, string, ExitCode]>([
    [400, 'invalid_request', ExitCode.usage],
    [401, 'unauthenticated', ExitCode.unauthenticated],
    [403, 'forbidden', ExitCode.refused],
    [403, 'not_eligible', ExitCode.refused],
    [403, 'separation_of_duties', ExitCode.refused],
    [404, 'not_found', ExitCode.notFound],
    [409, 'invalid_state', ExitCode.conflict],
    [409, 'already_issued', ExitCode.conflict],
    [413, 'payload_too_large', ExitCode.usage],
    [429, 'rate_limited', ExitCode.unavailable],
    [503, 'unavailable', ExitCode.unavailable],
    [500, 'internal_error', ExitCode.error],
  ])('%p %p exits %p', (status, error, exitCode) => {
    expect(brokerError(status, { error, message: 'm' }).exitCode).toBe(exitCode);
  });

  it('lists the failing fields', () => {
    const error = brokerError(400, {
      error: 'invalid_request',
      message: 'invalid request',
      fields: [{ field: 'role', message: 'no such role' }],
    });
    expect(error.message).toBe('invalid request (role: no such role)');
    expect(error.details.fields).toEqual([{ field: 'role', message: 'no such role' }]);
  });

  it('prints a message that already names its fields once', () => {
    const fields = [
      { field: 'role', message: 'no such role' },
      { field: 'duration', message: 'must be at most 8h' },
    ];
    const said = brokerError(400, {
      error: 'invalid_request',
      message: 'role: no such role; duration: must be at most 8h',
      fields,
    });
    expect(said.message).toBe('role: no such role; duration: must be at most 8h');
    const partly = brokerError(400, {
      error: 'invalid_request',
      message: 'role: no such role',
      fields,
    });
    expect(partly.message).toBe('role: no such role (duration: must be at most 8h)');
    const withReason = brokerError(400, {
      error: 'invalid_request',
      message: 'duration: must be at most 8h',
      reason: 'invalid_input',
      fields: fields.slice(1),
    });
    expect(withReason.message).toBe('duration: must be at most 8h');
    expect(withReason.details.reason).toBe('invalid_input');
  });

  it('says what to do about a separation-of-duties refusal', () => {
    const error = brokerError(403, {
      error: 'separation_of_duties',
      message: 'an approver linked to the requester cannot approve',
      reason: 'approver_linked',
    });
    expect(error.message).toBe(
      'an approver linked to the requester cannot approve [approver_linked]',
    );
    expect(error.details).toMatchObject({
      reason: 'approver_linked',
      hint: expect.stringContaining('another approver'),
    });
  });

  it('sends an approver of a passkey-signed role to the web page', () => {
    const error = brokerError(403, {
      error: 'signature_required',
      message:
        "approving this request needs your passkey's signature: approve it on the web page, https://cs.example.com/requests/1",
      reason: 'signature_required',
    });
    expect(error.exitCode).toBe(ExitCode.refused);
    expect(error.message).toContain('https://cs.example.com/requests/1');
    expect(error.details.hint).toContain('in a browser');
  });

  it('points a 401 at the token that was used', () => {
    const body = { error: 'unauthenticated', message: 'unauthenticated' };
    expect(brokerError(401, body, 'store').details.hint).toContain('run `countersign login`');
    expect(brokerError(401, body, 'env').details.hint).toContain('COUNTERSIGN_TOKEN');
  });

  it('passes on Retry-After', () => {
    const error = brokerError(429, { error: 'rate_limited', message: 'slow down' }, 'env', '12');
    expect(error.details.hint).toBe('rate limited: retry in 12s');
  });

  it('reports an answer that is not countersign JSON by its status', () => {
    expect(brokerError(502, undefined)).toMatchObject({
      exitCode: ExitCode.error,
      message: 'HTTP 502',
      details: { code: 'internal_error' },
    });
  });

  it('names the URL and the network cause of an unreachable broker', () => {
    const failure = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
    const error = unreachable('http://localhost:3000', failure);
    expect(error.exitCode).toBe(ExitCode.unavailable);
    expect(error.message).toBe('cannot reach the broker at http://localhost:3000 (ECONNREFUSED)');
  });
});

describe('request --wait outcomes', () => {
  const withStatus = (status: AccessRequest['status']) => ({ status }) as AccessRequest;

  it('gives every end of a request its own exit code', () => {
    expect(outcomeExitCode(withStatus('approved'))).toBe(ExitCode.ok);
    expect(outcomeExitCode(withStatus('issued'))).toBe(ExitCode.ok);
    expect(outcomeExitCode(withStatus('denied'))).toBe(ExitCode.denied);
    expect(outcomeExitCode(withStatus('expired'))).toBe(ExitCode.expired);
    expect(outcomeExitCode(withStatus('cancelled'))).toBe(ExitCode.cancelled);
    expect(new Set(Object.values(ExitCode)).size).toBe(Object.keys(ExitCode).length);
  });
});
