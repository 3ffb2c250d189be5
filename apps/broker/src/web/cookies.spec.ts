import { safeReturnTo } from './cookies.js';

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
