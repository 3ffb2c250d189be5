import { readFileSync } from 'node:fs';
import type { AppConfig } from './types.js';
import type { Env } from './env.js';
import { ConfigError } from './config-error.js';
import { demoConfigYaml } from './demo.js';
import { envValue } from './env.js';
import { parseConfig } from './parse-config.js';

const DEFAULT_CONFIG_PATH = './countersign.yaml';

/**
 * Reads the config file at COUNTERSIGN_CONFIG (default ./countersign.yaml). Only when no path was
 * given and the default file is absent does the built-in demo config apply: a path that was asked
 * for and is missing is an error, never a silent fallback to demo. Nor does NODE_ENV=production
 * ever fall back to demo (its users, its self-issued tokens, its unencrypted keys).
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const requested = envValue(env, 'COUNTERSIGN_CONFIG');
  const path = requested ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    if (code === 'ENOENT' && requested === undefined) {
      if (envValue(env, 'NODE_ENV')?.trim().toLowerCase() === 'production') {
        throw new ConfigError(
          'COUNTERSIGN_CONFIG',
          `NODE_ENV=production and no config file (${path} is absent): set COUNTERSIGN_CONFIG to your config file; the built-in demo config is not for production`,
        );
      }
      return parseConfig(demoConfigYaml(), env, { demo: true });
    }
    const problem = code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`;
    throw new ConfigError('COUNTERSIGN_CONFIG', `${path}: ${problem}`);
  }
  return parseConfig(text, env);
}

/**
 * For entrypoints: the config, or a one-line message naming the bad field and exit code 1, so
 * nothing starts half-configured.
 */
export function loadConfigOrExit(program: string): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${program}: invalid configuration: ${error.message}`);
    process.exit(1);
  }
}
