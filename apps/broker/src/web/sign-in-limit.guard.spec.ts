import type { ExecutionContext } from '@nestjs/common';
import type { AppConfig } from '#config';
import type { DomainError } from '#domain';
import { SignInLimitGuard } from './sign-in-limit.guard.js';

function contextFor(ip: string, headers: Record<string, string>): ExecutionContext {
  const http = {
    getRequest: () => ({ ip }),
    getResponse: () => ({ setHeader: (name: string, value: string) => (headers[name] = value) }),
  };
  return { switchToHttp: () => http } as unknown as ExecutionContext;
}

const withLimit = (perMinute: number) =>
  new SignInLimitGuard({ rateLimit: { perMinute } } as AppConfig);

describe('SignInLimitGuard', () => {
  it('lets `perMinute` sign-ins through per address, then refuses with Retry-After', async () => {
    const guard = withLimit(3);
    const headers: Record<string, string> = {};
    for (let i = 0; i < 3; i += 1) {
      await expect(guard.canActivate(contextFor('10.0.0.1', headers))).resolves.toBe(true);
    }
    await expect(guard.canActivate(contextFor('10.0.0.1', headers))).rejects.toEqual(
      expect.objectContaining({ code: 'rate_limited' }) as DomainError,
    );
    expect(Number(headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    await expect(guard.canActivate(contextFor('10.0.0.2', {}))).resolves.toBe(true);
  });

  it('is off at perMinute 0', async () => {
    const guard = withLimit(0);
    for (let i = 0; i < 50; i += 1) {
      await expect(guard.canActivate(contextFor('10.0.0.1', {}))).resolves.toBe(true);
    }
  });
});
