import type { ExecutionContext } from '@nestjs/common';
import { createParamDecorator } from '@nestjs/common';
import type { PolicyState } from '#access';
import { checkAdmin } from '#domain';
import { csrfToken } from './csrf.js';
import type { Viewer } from './layout.js';
import type { WebRequest } from './web-auth.guard.js';
import type { WebSession } from './web-sessions.js';

/** The session the WebAuthGuard found; only on guarded routes. */
export const CurrentSession = createParamDecorator(
  (_data: unknown, context: ExecutionContext): WebSession => {
    const session = context.switchToHttp().getRequest<WebRequest>().webSession;
    if (!session) throw new Error('CurrentSession used on a route without WebAuthGuard');
    return session;
  },
);

export function viewerOf(session: WebSession, policy: PolicyState): Viewer {
  return {
    id: session.principal.id,
    // The admin link shows exactly when the admin pages would open.
    admin: checkAdmin(policy.policy, session.principal, 'admin.pages').allowed,
    csrf: csrfToken(session.id),
  };
}
