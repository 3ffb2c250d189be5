import type { KeyRotation } from '../api-types.js';
import type { Context, Outcome } from '../context.js';
import { formatDuration } from '../format.js';
import { terminalText as t } from '../terminal-text.js';

/** `keys rotate` (admins): a new signing key from now on; the retired ones stay in JWKS a while. */
export async function keysRotate(ctx: Context): Promise<Outcome> {
  const rotated = await (await ctx.client()).post<KeyRotation>('/v1/keys/rotate');
  const retired =
    rotated.retired.length > 0
      ? `retired ${rotated.retired.map((kid) => t(kid)).join(', ')}: kept in JWKS for ${formatDuration(rotated.publishedFor)}\n`
      : '';
  return { data: rotated, text: `new signing key ${t(rotated.kid)}\n${retired}` };
}
