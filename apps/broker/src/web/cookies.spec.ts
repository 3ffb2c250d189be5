import { cookieOptions, safeReturnTo } from './cookies.js';

describe('cookieOptions', () => {
  it('is HttpOnly, SameSite=Lax and site-wide, Secure exactly when the broker is on https', () => {
    const common = { httpOnly: true, sameSite: 'lax', path: '/', maxAge: 3_600_000 };
    expect(cookieOptions('https://cs.example.com', 3600)).toEqual({ ...common, secure: true });
    expect(cookieOptions('http://127.0.0.1:3000', 3600)).toEqual({ ...common, secure: false });
  });
});

describe('safeReturnTo', () => {
  const site = 'https://countersign.example.com';

  it.each(['/requests/2f9c', '/requests?mine=true', '/admin/audit?type=grant.revoked'])(
    'keeps a path on this site: %s',
    (path) => {
      expect(safeReturnTo(path, site)).toBe(path);
    },
  );

  it.each([
    'https://evil.example/requests',
    '//evil.example/requests',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    '/requests\n/x',
    ' /requests',
    'requests',
    '',
    undefined,
    ['/requests'],
  ])('refuses %p, falling back to the request list', (value) => {
    expect(safeReturnTo(value, site)).toBe('/requests');
  });

  it('refuses an overlong path', () => {
    expect(safeReturnTo(`/${'a'.repeat(600)}`, site)).toBe('/requests');
  });
});
