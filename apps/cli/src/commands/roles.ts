import type { Page, Role } from '../api-types.js';
import type { Context, Outcome } from '../context.js';
import { terminalText as t } from '../terminal-text.js';
import { roleTable } from '../views.js';

/** `roles`: what the caller may request (an admin sees every role, and which it may not request). */
export async function roles(ctx: Context): Promise<Outcome> {
  const page = await (await ctx.client()).get<Page<Role>>('/v1/roles');
  const notForYou = page.items.filter((role) => !role.requestable).map((role) => t(role.name));
  if (notForYou.length > 0) {
    ctx.note(`shown because you are an admin, but not yours to request: ${notForYou.join(', ')}`);
  }
  return { data: page, text: roleTable(page.items) };
}
