import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type ReadText = (path: string) => string | undefined;

/**
 * The version in the package.json of the countersign package holding `start`, found by walking up:
 * the checkout's (run from source or from dist/) or the installed package's. A package.json of
 * anything else on the way is passed by.
 */
export function packageVersion(start: string, read: ReadText = readText): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const version = countersignVersion(read(join(dir, 'package.json')));
    if (version) return version;
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** `countersign --version`. */
export function cliVersion(): string {
  return packageVersion(dirname(fileURLToPath(import.meta.url)));
}

function countersignVersion(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const manifest = JSON.parse(text) as { name?: unknown; version?: unknown };
    return manifest.name === 'countersign' && typeof manifest.version === 'string'
      ? manifest.version
      : undefined;
  } catch {
    return undefined;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
