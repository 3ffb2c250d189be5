import type { ApprovalSignature, RoleDefinition } from '#domain';
import { defaultOrigin, isValidOrigin } from '#domain';
import { parse, YAMLError } from 'yaml';
import type { AppConfig, IssuerConfig, SpiffeIssuerConfig, WebSignInConfig } from './types.js';
import type { Env } from './env.js';
import type { ConfigFile } from './file-schema.js';
import { ConfigError } from './config-error.js';
import {
  resolveDatabase,
  resolveEncryptionKey,
  resolveLogLevel,
  resolvePort,
  resolvePublicUrl,
  resolveRedisUrl,
} from './env.js';
import { configFileSchema } from './file-schema.js';
import { interpolate } from './interpolate.js';
import { checkReferences } from './references.js';
import { toConfigError } from './zod-issues.js';

/**
 * YAML text plus environment -> one validated AppConfig, or a ConfigError naming the bad field.
 * `demo` marks the built-in demo config: it alone may declare demo users and run without an
 * encryption key.
 */
export function parseConfig(yamlText: string, env: Env, opts: { demo?: boolean } = {}): AppConfig {
  const demo = opts.demo === true;
  const port = resolvePort(env);
  const database = resolveDatabase(env);
  const redisUrl = resolveRedisUrl(env);
  const encryptionKey = resolveEncryptionKey(env, !demo);
  // The demo config is written against the public URL, which is known only from the environment.
  const vars = demo ? { ...env, PUBLIC_URL: resolvePublicUrl(env, undefined, port) } : env;
  const file = validate(interpolate(readYaml(yamlText), vars));
  if (file.demoUsers !== undefined && !demo) {
    throw new ConfigError('demoUsers', 'allowed only in the built-in demo config');
  }
  checkReferences(file);
  const publicUrl = resolvePublicUrl(env, file.publicUrl, port);
  const origin = file.audit.origin ?? defaultOrigin(publicUrl);
  if (!isValidOrigin(origin)) {
    throw new ConfigError(
      'audit.origin',
      `the default ${origin} (from publicUrl) is not a valid origin: set audit.origin`,
    );
  }
  return {
    demo,
    demoUsers: file.demoUsers ?? [],
    port,
    publicUrl,
    database,
    ...(redisUrl === undefined ? {} : { redisUrl }),
    ...(encryptionKey === undefined ? {} : { encryptionKey }),
    separation: file.separation,
    ...issuersByKind(file),
    owners: file.owners,
    delegations: file.delegations,
    aliases: file.aliases,
    directory: file.directory,
    ...(Object.keys(file.emails).length === 0 ? {} : { emails: file.emails }),
    rateLimit: file.rateLimit,
    logLevel: resolveLogLevel(env, file.logLevel),
    credentials: {
      issuer: file.credentials.issuer ?? publicUrl,
      algorithm: file.credentials.algorithm,
    },
    revocation: file.revocation,
    audit: {
      origin,
      checkpointInterval: file.audit.checkpointInterval,
      verifyInterval: file.audit.verifyInterval,
      sinks: file.audit.sinks,
    },
    policy: {
      separation: file.separation,
      admins: file.policy.admins,
      roles: withApprovalDefault(file.policy.roles, file.policy.approvals.signature),
      approverBots: file.policy.approverBots,
    },
    ...webSignIn(file),
    ...(file.email === undefined ? {} : { email: file.email }),
    ...(file.slack === undefined
      ? {}
      : { slack: { ...file.slack, apiUrl: file.slack.apiUrl.replace(/\/*$/, '/') } }),
  };
}

function issuersByKind(file: ConfigFile): Pick<AppConfig, 'issuers' | 'workloadIssuers'> {
  const issuers: IssuerConfig[] = [];
  const workloadIssuers: SpiffeIssuerConfig[] = [];
  for (const issuer of file.auth.issuers) {
    if (issuer.kind === 'spiffe') {
      const { name, trustDomain, audience, jwksUri, bundleFile } = issuer;
      const source = jwksUri === undefined ? { bundleFile } : { jwksUri };
      workloadIssuers.push({ name, trustDomain, audience, ...source });
    } else {
      const { name, issuer: iss, jwksUri, audience, groupsClaim } = issuer;
      issuers.push({ name, issuer: iss, jwksUri, audience, ...(groupsClaim && { groupsClaim }) });
    }
  }
  return { issuers, workloadIssuers };
}

function webSignIn(file: ConfigFile): { web?: WebSignInConfig } {
  const web = file.auth.web;
  const issuer =
    web && issuersByKind(file).issuers.find((candidate) => candidate.name === web.issuer);
  return web && issuer ? { web: { ...web, issuer } } : {};
}

function readYaml(text: string): unknown {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    if (error instanceof YAMLError)
      throw new ConfigError('(root)', `invalid YAML: ${error.message}`);
    throw error;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError('(root)', 'the config must be a YAML mapping');
  }
  return doc;
}

function validate(doc: unknown): ConfigFile {
  const result = configFileSchema.safeParse(doc, { reportInput: true });
  if (!result.success) throw toConfigError(result.error);
  return result.data;
}

/**
 * The policy's approval signature, written into each role that does not set its own, so that a
 * role's policy hash changes with what its approvals need. `none` is left implicit: the hashes of
 * roles configured before the setting existed stay what they were.
 */
function withApprovalDefault(
  roles: readonly RoleDefinition[],
  signature: ApprovalSignature,
): RoleDefinition[] {
  if (signature === 'none') return [...roles];
  return roles.map((role) =>
    role.approvalSignature ? role : { ...role, approvalSignature: signature },
  );
}
