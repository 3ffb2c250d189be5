import type { Page, ServiceAccount, ServiceAccountWithKey } from '../api-types.js';
import type { Context, Outcome } from '../context.js';
import { formatInstant } from '../format.js';
import { serviceAccountDetails, serviceAccountTable } from '../security-views.js';
import { terminalText as t } from '../terminal-text.js';
import { listOutcome } from './requests.js';

/**
 * Service accounts (admins; docs/identity.md). An account's name goes into the path as it is:
 * parseAccountName keeps it to the characters a name may have.
 */

export interface CreateOptions {
  owner: string;
  description?: string;
  group?: string[];
  keyExpiresIn?: string;
}

/**
 * `service-accounts create <name>`: the API key, shown this once, alone on stdout
 * (`KEY=$(countersign service-accounts create …)`); the account on stderr.
 */
export async function createAccount(
  ctx: Context,
  name: string,
  options: CreateOptions,
): Promise<Outcome> {
  const created = await (
    await ctx.client()
  ).post<ServiceAccountWithKey>('/v1/service-accounts', {
    name,
    owner: options.owner,
    ...(options.description !== undefined ? { description: options.description } : {}),
    ...(options.group !== undefined ? { groups: options.group } : {}),
    ...(options.keyExpiresIn !== undefined ? { keyExpiresIn: options.keyExpiresIn } : {}),
  });
  return withKey(ctx, created, 'created');
}

export async function listAccounts(ctx: Context, options: { limit: number }): Promise<Outcome> {
  const page: Page<ServiceAccount> = await (
    await ctx.client()
  ).collect<ServiceAccount>('/v1/service-accounts', {}, options.limit);
  return listOutcome(ctx, page, serviceAccountTable(page.items));
}

export async function showAccount(ctx: Context, name: string): Promise<Outcome> {
  const account = await (await ctx.client()).get<ServiceAccount>(`/v1/service-accounts/${name}`);
  return { data: account, text: serviceAccountDetails(account) };
}

/** `service-accounts rotate <name>`: a new key (printed like create's); the old one stops now. */
export async function rotateAccount(
  ctx: Context,
  name: string,
  options: { keyExpiresIn?: string },
): Promise<Outcome> {
  const rotated = await (
    await ctx.client()
  ).post<ServiceAccountWithKey>(
    `/v1/service-accounts/${name}/rotate`,
    options.keyExpiresIn !== undefined ? { keyExpiresIn: options.keyExpiresIn } : {},
  );
  return withKey(ctx, rotated, 'has a new key');
}

export async function disableAccount(ctx: Context, name: string): Promise<Outcome> {
  const disabled = await (
    await ctx.client()
  ).post<ServiceAccount>(`/v1/service-accounts/${name}/disable`);
  return { data: disabled, text: `service account ${t(disabled.name)} ${t(disabled.status)}\n` };
}

function withKey(ctx: Context, account: ServiceAccountWithKey, what: string): Outcome {
  const expires = account.keyExpiresAt
    ? `, key expires ${t(formatInstant(account.keyExpiresAt))}`
    : '';
  ctx.note(`service account ${t(account.name)} (${t(account.principal)}) ${what}${expires}`);
  ctx.note('the key is shown this once: keep it now');
  return { data: account, text: `${t(account.key)}\n` };
}
