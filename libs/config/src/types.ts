import type { PolicyDefinition, SeparationMode } from '#domain';
import type { LogLevel } from './env.js';

export interface IssuerConfig {
  name: string;
  issuer: string;
  jwksUri: string;
  audience: string;
  groupsClaim?: string;
}

/**
 * A SPIFFE trust domain (`auth.issuers[]` with `kind: spiffe`): JWT-SVIDs whose `sub` is a SPIFFE
 * ID of `trustDomain`, signed by a key of its JWT bundle (`jwksUri` or `bundleFile`, one of them).
 */
export interface SpiffeIssuerConfig {
  name: string;
  trustDomain: string;
  jwksUri?: string;
  bundleFile?: string;
  audience: string;
}

export interface DemoUser {
  name: string;
  sub: string;
  groups: string[];
  description: string;
}

export type DatabaseConfig = { type: 'sqlite'; path: string } | { type: 'postgres'; url: string };

export interface SlackConfig {
  signingSecret: string;
  botToken: string;
  /** Where new requests are posted. */
  channel: string;
  /** Slack Web API base URL, ending with a slash. */
  apiUrl: string;
  /** "<team_id>/<user_id>" -> principal id. */
  users: Record<string, string>;
}

/** Email notifications (docs/notifications.md). */
export interface EmailConfig {
  /** `smtp://` or `smtps://` URL, credentials included: never logged. */
  smtp: string;
  from: string;
}

/** Web sign-in (docs/api.md §6): the issuer is one of `issuers`, by name. */
export interface WebSignInConfig {
  issuer: IssuerConfig;
  clientId: string;
  clientSecret?: string;
}

/** One destination of the audit stream; `name` keys its delivery cursor. */
export type AuditSinkConfig =
  | { name: string; type: 'file'; path: string }
  /** `secret` signs each POST as the webhook credential provider does; `timeout` in seconds. */
  | { name: string; type: 'webhook'; url: string; secret: string; timeout: number }
  | { name: string; type: 'syslog'; host: string; port: number; appName: string };

export interface AppConfig {
  /** True only when the built-in demo config is used (no config file). */
  demo: boolean;
  /** Empty unless demo. */
  demoUsers: DemoUser[];
  port: number;
  /** No trailing slash. */
  publicUrl: string;
  database: DatabaseConfig;
  redisUrl?: string;
  /** COUNTERSIGN_ENCRYPTION_KEY: 32 bytes; required outside demo mode. */
  encryptionKey?: Buffer;
  separation: SeparationMode;
  /** The OpenID-style issuers (no `kind`, or `kind: oidc`). */
  issuers: IssuerConfig[];
  /** The `kind: spiffe` issuers, one per trust domain. */
  workloadIssuers: SpiffeIssuerConfig[];
  owners: Record<string, string>;
  /** Agent -> the people who delegated to it: it may request on their behalf. */
  delegations: Record<string, string[]>;
  aliases: string[][];
  directory: Record<string, string[]>;
  /** Principal -> email address, from the config (a verified token's `email` claim otherwise). */
  emails?: Record<string, string>;
  /**
   * Requests per principal per minute, and failed authentications per client address per minute
   * (absent: 60); 0 turns either limit off.
   */
  rateLimit: { perMinute: number; unauthenticatedPerMinute?: number };
  /** LOG_LEVEL, else the file's `logLevel`, else info. */
  logLevel: LogLevel;
  credentials: { issuer: string; algorithm: 'EdDSA' | 'ES256' };
  /**
   * sweepInterval in seconds; `worker` says whether the broker runs the BullMQ revocation worker
   * itself (inline) or leaves it to apps/worker (external); queuePrefix namespaces Redis keys.
   */
  revocation: { sweepInterval: number; worker: 'inline' | 'external'; queuePrefix: string };
  /**
   * The transparency log: `origin` (checkpoints' first line and the log key's note name; default
   * defaultOrigin(publicUrl)); `checkpointInterval` in seconds, the least time between two
   * checkpoints; `verifyInterval` in seconds, how often the worker verifies the whole log;
   * `sinks`, where the integrated log is streamed (docs/audit-sinks.md).
   */
  audit: {
    origin: string;
    checkpointInterval: number;
    verifyInterval: number;
    sinks: AuditSinkConfig[];
  };
  /** Durations in seconds, role defaults applied. */
  policy: PolicyDefinition;
  /** OpenID Connect sign-in for the web pages; absent when not configured. */
  web?: WebSignInConfig;
  /** Approvers in Slack (docs/api.md §7); absent when not configured. */
  slack?: SlackConfig;
  /** Email notifications; absent when not configured. */
  email?: EmailConfig;
}
