import type { Selector } from './principal.js';

export type SeparationMode = 'strict' | 'identity';

/**
 * Which provider opens and closes a role's access, with its settings (libs/access/src/providers).
 * The settings carry secrets (a connection URL, a signing secret): never serialise a role whole.
 */
export type ProviderDefinition =
  | { readonly type: 'jwt' }
  | {
      readonly type: 'postgres';
      /** Where login roles are created: a URL whose user may create roles and end sessions. */
      readonly connection: string;
      /** The role each grant's login role becomes a member of. */
      readonly targetRole: string;
      /** What the recipient is told to connect to (from `connection` unless configured). */
      readonly host: string;
      readonly port: number;
      readonly database: string;
      /** Login roles are named `<rolePrefix><grant id without dashes>`. */
      readonly rolePrefix: string;
    }
  | {
      readonly type: 'redis';
      /** The broker's own connection (`redis://` or `rediss://`): its user manages ACL users. */
      readonly url: string;
      /** ACL rules each grant's user gets, validated at load (`~cache:* +@read`). */
      readonly rules: string;
      /** ACL users are named `<userPrefix><grant id without dashes>_<issued at, base 36>`. */
      readonly userPrefix: string;
    }
  | {
      readonly type: 'mysql';
      /** The broker's own connection (`mysql://`): its user creates users and ends sessions. */
      readonly url: string;
      /** The role each grant's user is granted, as its default role. */
      readonly grantRole: string;
      /** Users are named `<userPrefix><grant id in base 36>`: at most 32 characters. */
      readonly userPrefix: string;
    }
  | {
      readonly type: 'webhook';
      readonly url: string;
      /** HMAC-SHA256 key of the request signatures. */
      readonly secret: string;
      /** Seconds per attempt. */
      readonly timeout: number;
    }
  | {
      readonly type: 'ssh';
      /** The certificate's principals: the accounts sshd lets it log in as. */
      readonly principals: readonly string[];
      /** OpenSSH certificate extensions (`permit-pty`, ...), sorted, none by default. */
      readonly extensions: readonly string[];
      /** The `source-address` critical option: the addresses (CIDR) it may be used from. */
      readonly sourceAddress?: readonly string[];
    };

/** Every provider type, for schemas that list them (the OpenAPI document). */
export const PROVIDER_TYPES = ['jwt', 'postgres', 'webhook', 'ssh', 'mysql', 'redis'] as const;
// A provider type added to the union and not to the list above fails to compile here.
type UnlistedProviderType = Exclude<ProviderDefinition['type'], (typeof PROVIDER_TYPES)[number]>;
export const ALL_PROVIDER_TYPES_LISTED: [UnlistedProviderType] extends [never] ? true : never =
  true;

/**
 * The one sanctioned way around a second approver: explicit, short, announced at once
 * and reviewed afterwards by someone else. Durations in seconds.
 */
export interface BreakGlassPolicy {
  /** The longest credential an activation gives. */
  readonly maxDuration: number;
  /** A distinct, eligible principal must review the activation within this. */
  readonly reviewWithin: number;
  /** Unreviewed past the deadline: escalate again this often until reviewed. */
  readonly escalateEvery: number;
  readonly notify: {
    /** Post to the configured Slack channel. */
    readonly slack: boolean;
    /** POST a signed JSON notice here; `secret` keys its HMAC signature. */
    readonly webhook?: { readonly url: string; readonly secret: string };
  };
}

/** A requestable role, with every duration in seconds. */
export interface RoleDefinition {
  readonly name: string;
  readonly resource: string;
  readonly actions: readonly string[];
  readonly maxDuration: number;
  /** The longest a grant lasts from its first issue, extensions included (≥ maxDuration). */
  readonly maxExtendedDuration: number;
  readonly defaultDuration: number;
  readonly redeemWithin: number;
  readonly requestTimeout: number;
  readonly requesters: Selector;
  readonly approvers: Selector;
  readonly approvalsRequired: number;
  /**
   * `passkey`: each approval is a WebAuthn assertion over the request's terms (docs/identity.md,
   * "Signed approvals"). The policy's default (`policy.approvals`) is applied when the config is
   * read; absent means `none` and keeps the role's policy hash what it was before the setting.
   */
  readonly approvalSignature?: ApprovalSignature;
  readonly requireJustification: boolean;
  readonly provider: ProviderDefinition;
  readonly breakGlass?: BreakGlassPolicy;
  /** On a policy reload that changes this role, its active grants are revoked. */
  readonly revokeOnPolicyChange: boolean;
  /** A pending request's approvers still needed are reminded this long after it, and each time as long again passes. */
  readonly remindAfter?: number;
  /** A request pending this long is escalated: `to` become its approvers too, under the same rules. */
  readonly escalation?: RequestEscalation;
  /** A grant's recipient is told this long before the grant ends. */
  readonly warnBefore?: number;
}

/** Who else may approve a request left pending `after` seconds (docs/notifications.md). */
export interface RequestEscalation {
  readonly after: number;
  readonly to: Selector;
}

export type ApprovalSignature = 'none' | 'passkey';

export interface PolicyDefinition {
  readonly separation: SeparationMode;
  readonly admins: Selector;
  readonly roles: readonly RoleDefinition[];
  /**
   * Non-human principals allowed to approve, each only where it shares no owner with the
   * requester or the recipient (docs/identity.md). Absent or empty: no non-human ever approves.
   */
  readonly approverBots?: readonly string[];
}

/** Whether approving a request for this role takes the approver's passkey. */
export function requiresSignedApproval(role: Pick<RoleDefinition, 'approvalSignature'>): boolean {
  return role.approvalSignature === 'passkey';
}

export function findRole(policy: PolicyDefinition, name: string): RoleDefinition | undefined {
  return policy.roles.find((role) => role.name === name);
}
