import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './exit-codes.js';
import { TokenStore, credentialsPath } from './token-store.js';

describe('TokenStore', () => {
  let home: string;
  let store: TokenStore;
  const login = (token: string) => ({ token, method: 'token' as const, savedAt: 'now' });

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'countersign-store-'));
    store = new TokenStore(credentialsPath({ XDG_CONFIG_HOME: home }));
  });

  afterEach(() => rm(home, { recursive: true, force: true }));

  it('lives under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(credentialsPath({ XDG_CONFIG_HOME: '/x' })).toBe('/x/countersign/credentials.json');
    expect(credentialsPath({ HOME: '/home/a' })).toBe(
      '/home/a/.config/countersign/credentials.json',
    );
  });

  it('keeps one login per broker URL, in a 0600 file in a 0700 directory', async () => {
    await store.save('http://a', login('t1'));
    await store.save('https://b', login('t2'));
    expect((await store.get('http://a'))?.token).toBe('t1');
    expect((await store.get('https://b'))?.token).toBe('t2');
    expect(await store.get('http://c')).toBeUndefined();
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'countersign'))).mode & 0o777).toBe(0o700);

    expect(await store.remove('http://a')).toBe(true);
    expect(await store.remove('http://a')).toBe(false);
    expect(JSON.parse(await readFile(store.path, 'utf8'))).toEqual({
      version: 1,
      brokers: { 'https://b': login('t2') },
    });
  });

  it('tightens a directory that others could read', async () => {
    await mkdir(join(home, 'countersign'), { mode: 0o755 });
    await chmod(join(home, 'countersign'), 0o755);
    await store.save('http://a', login('t1'));
    expect((await stat(join(home, 'countersign'))).mode & 0o777).toBe(0o700);
  });

  it('refuses to overwrite a file that is not its own', async () => {
    await mkdir(join(home, 'countersign'));
    await writeFile(store.path, 'not json');
    await expect(store.save('http://a', login('t1'))).rejects.toThrow(CliError);
    expect(await readFile(store.path, 'utf8')).toBe('not json');
  });
});
