import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliVersion, packageVersion } from './version.js';

describe('--version', () => {
  const files = (entries: Record<string, string>) => (path: string) => entries[path];

  it("reads the nearest countersign package.json above, passing others' by", () => {
    const read = files({
      '/opt/app/node_modules/countersign/package.json': '{"name":"countersign","version":"2.3.4"}',
      '/opt/app/node_modules/countersign/dist/package.json': '{"name":"other","version":"9.9.9"}',
      '/opt/app/node_modules/countersign/dist/apps/package.json': 'not json',
    });
    expect(packageVersion('/opt/app/node_modules/countersign/dist/apps/cli/src', read)).toBe(
      '2.3.4',
    );
  });

  it('says unknown rather than fail when there is none', () => {
    expect(packageVersion('/nowhere/at/all', files({}))).toBe('unknown');
  });

  it("is this checkout's version", () => {
    const root = join(import.meta.dirname, '..', '..', '..');
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(cliVersion()).toBe(manifest.version);
  });
});
