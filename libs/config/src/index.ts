export type {
  AppConfig,
  AuditSinkConfig,
  DatabaseConfig,
  DemoUser,
  EmailConfig,
  IssuerConfig,
  SlackConfig,
  SpiffeIssuerConfig,
  WebSignInConfig,
} from './types.js';
export { ConfigError } from './config-error.js';
export { demoConfigYaml } from './demo.js';
export { LOG_LEVELS, resolveLogLevel, resolveWorkerPort } from './env.js';
export type { LogLevel } from './env.js';
export { resolveShutdownEnv } from './shutdown-env.js';
export { loadConfig, loadConfigOrExit } from './load-config.js';
export { parseConfig } from './parse-config.js';
