import type { PolicyDefinition, SeparationMode } from '#domain';

export interface IssuerConfig {
  name: string;
  issuer: string;
  jwksUri: string;
  audience: string;
  groupsClaim?: string;
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

/** Web sign-in (API.md §6): the issuer is one of `issuers`, by name. */
export interface WebSignInConfig {
  issuer: IssuerConfig;
  clientId: string;
  clientSecret?: string;
}

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
  issuers: IssuerConfig[];
  owners: Record<string, string>;
  aliases: string[][];
  directory: Record<string, string[]>;
  /** Requests per principal per minute; 0 turns the limit off. */
  rateLimit: { perMinute: number };
  credentials: { issuer: string; algorithm: 'EdDSA' | 'ES256' };
  /**
   * sweepInterval in seconds; `worker` says whether the broker runs the BullMQ revocation worker
   * itself (inline) or leaves it to apps/worker (external); queuePrefix namespaces Redis keys.
   */
  revocation: { sweepInterval: number; worker: 'inline' | 'external'; queuePrefix: string };
  /** Durations in seconds, role defaults applied. */
  policy: PolicyDefinition;
  /** OpenID Connect sign-in for the web pages; absent when not configured. */
  web?: WebSignInConfig;
  /** Approvers in Slack (API.md §7); absent when not configured. */
  slack?: SlackConfig;
}
