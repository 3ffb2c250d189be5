import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { MetricsService } from '#access';
import type { AppConfig } from '#config';
import { DomainError } from '#domain';
import type { AuthFailure } from './unauthenticated-limiter.js';
import { UnauthenticatedLimiter, clientAddress } from './unauthenticated-limiter.js';

const configWith = (unauthenticatedPerMinute?: number) =>
  ({ rateLimit: { perMinute: 0, unauthenticatedPerMinute } }) as AppConfig;

function limiterWith(unauthenticatedPerMinute?: number) {
  const metrics = new MetricsService();
  return {
    metrics,
    limiter: new UnauthenticatedLimiter(configWith(unauthenticatedPerMinute), metrics),
  };
}

/** A response that keeps its headers. */
const response = () => {
  const headers: Record<string, string> = {};
  return { headers, setHeader: (name: string, value: string) => (headers[name] = value) };
};

async function counted(metrics: MetricsService): Promise<Record<string, number>> {
  const metric = await metrics.registry.getSingleMetric('countersign_unauthenticated_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.reason), v.value]));
}

const unauthenticated = () => new DomainError('unauthenticated', 'invalid token');

describe('UnauthenticatedLimiter', () => {
  let warnings: string[];

  beforeEach(() => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });

  afterEach(() => jest.restoreAllMocks());

  it('admits an address until it has failed `unauthenticatedPerMinute` times, then refuses it with Retry-After', async () => {
    const { limiter } = limiterWith(3);
    for (let i = 0; i < 3; i += 1) {
      await expect(limiter.admit('10.0.0.1', response())).resolves.toBeUndefined();
      await limiter.failed('10.0.0.1', 'invalid_token');
    }
    const refused = response();
    await expect(limiter.admit('10.0.0.1', refused)).rejects.toMatchObject({
      code: 'rate_limited',
    });
    const retryAfter = Number(refused.headers['Retry-After']);
    expect(retryAfter >= 1 && retryAfter <= 60).toBe(true);
    // Another address has a budget of its own.
    await expect(limiter.admit('10.0.0.2', response())).resolves.toBeUndefined();
  });

  it.each<[string, number | undefined, number]>([
    ['the default when the config says nothing', undefined, 60],
    ['the configured budget', 5, 5],
  ])('spends %s', async (_case, configured, budget) => {
    const { limiter } = limiterWith(configured);
    for (let i = 0; i < budget - 1; i += 1) await limiter.failed('10.0.0.1', 'invalid_token');
    await expect(limiter.admit('10.0.0.1', response())).resolves.toBeUndefined();
    await limiter.failed('10.0.0.1', 'invalid_token');
    await expect(limiter.admit('10.0.0.1', response())).rejects.toMatchObject({
      code: 'rate_limited',
    });
  });

  it('is off at 0, but still counts and logs each failure', async () => {
    const { limiter, metrics } = limiterWith(0);
    for (let i = 0; i < 100; i += 1) await limiter.failed('10.0.0.1', 'invalid_api_key');
    await expect(limiter.admit('10.0.0.1', response())).resolves.toBeUndefined();
    expect(await counted(metrics)).toEqual({ invalid_api_key: 100 });
    expect(warnings).toHaveLength(100);
  });

  it('counts every failure and every refusal by reason; logs each failure and the moment the budget is spent', async () => {
    const { limiter, metrics } = limiterWith(2);
    const reasons: AuthFailure[] = ['invalid_slack_signature', 'csrf_invalid'];
    for (const reason of reasons) await limiter.failed('192.0.2.7', reason);
    for (let i = 0; i < 3; i += 1) {
      await expect(limiter.admit('192.0.2.7', response())).rejects.toBeInstanceOf(DomainError);
    }
    expect(await counted(metrics)).toEqual({
      invalid_slack_signature: 1,
      csrf_invalid: 1,
      rate_limited: 3,
    });
    expect(warnings).toEqual([
      'authentication failed (invalid_slack_signature) from 192.0.2.7',
      'authentication failed (csrf_invalid) from 192.0.2.7',
      expect.stringMatching(
        /^192\.0\.2\.7 is over its budget of 2 failed authentications a minute: refused for \d+s$/,
      ) as string,
    ]);
  });

  describe('screen', () => {
    const request = { ip: '198.51.100.9' };

    it('counts an unauthenticated refusal from the verification against the address, and rethrows it', async () => {
      const { limiter, metrics } = limiterWith(1);
      const failing = () => Promise.reject(unauthenticated());
      await expect(limiter.screen(request, response(), 'invalid_token', failing)).rejects.toThrow(
        'invalid token',
      );
      // Over budget: the verification is not even started, valid credential or not.
      const verify = jest.fn(() => Promise.resolve('principal'));
      await expect(
        limiter.screen(request, response(), 'invalid_token', verify),
      ).rejects.toMatchObject({ code: 'rate_limited' });
      expect(verify).not.toHaveBeenCalled();
      expect(await counted(metrics)).toEqual({ invalid_token: 1, rate_limited: 1 });
    });

    it('passes a verified result through and counts nothing, nor errors that are not authentication failures', async () => {
      const { limiter, metrics } = limiterWith(1);
      await expect(
        limiter.screen(request, response(), 'invalid_token', () => Promise.resolve('principal')),
      ).resolves.toBe('principal');
      const outage = new DomainError('unavailable', 'the issuer JWKS cannot be fetched');
      for (let i = 0; i < 3; i += 1) {
        await expect(
          limiter.screen(request, response(), 'invalid_token', () => Promise.reject(outage)),
        ).rejects.toBe(outage);
      }
      expect(await counted(metrics)).toEqual({});
    });
  });

  it('takes the socket address, never a header', () => {
    expect(clientAddress({ ip: '::ffff:127.0.0.1' })).toBe('::ffff:127.0.0.1');
    expect(clientAddress({ ip: undefined })).toBe('unknown');
  });
});
