import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, ExitCode } from './exit-codes.js';

export interface StoredLogin {
  token: string;
  /** How it was obtained: `token` (given), `demo`, or `oidc` (device flow). */
  method: 'token' | 'demo' | 'oidc';
  savedAt: string;
}

interface StoreFile {
  version: 1;
  /** Keyed by broker URL, so one machine can be signed in to several brokers. */
  brokers: Record<string, StoredLogin>;
}

/** `$XDG_CONFIG_HOME/countersign/credentials.json` (default `~/.config/…`). */
export function credentialsPath(env: Record<string, string | undefined>): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'countersign', 'credentials.json');
}

/**
 * Tokens at rest: the directory is 0700 and the file 0600 (written to a temporary file with that
 * mode, then renamed, so no other user ever sees a readable file, even half-written).
 */
export class TokenStore {
  constructor(readonly path: string) {}

  async get(url: string): Promise<StoredLogin | undefined> {
    return (await this.read()).brokers[url];
  }

  async save(url: string, login: StoredLogin): Promise<void> {
    const file = await this.read();
    file.brokers[url] = login;
    await this.write(file);
  }

  /** Whether there was a login to remove. */
  async remove(url: string): Promise<boolean> {
    const file = await this.read();
    if (!file.brokers[url]) return false;
    delete file.brokers[url];
    await this.write(file);
    return true;
  }

  private async read(): Promise<StoreFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, brokers: {} };
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<StoreFile>;
      if (parsed.version === 1 && typeof parsed.brokers === 'object' && parsed.brokers !== null) {
        return { version: 1, brokers: parsed.brokers };
      }
    } catch {
      // Reported below: a damaged file is not silently overwritten.
    }
    throw new CliError(ExitCode.error, `${this.path} is not a countersign credentials file`, {
      code: 'bad_credentials_file',
      hint: 'remove it and run `countersign login` again',
    });
  }

  private async write(file: StoreFile): Promise<void> {
    const directory = dirname(this.path);
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await chmod(directory, 0o700);
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, this.path);
  }
}
