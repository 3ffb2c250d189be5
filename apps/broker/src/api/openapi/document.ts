import { createDocument } from 'zod-openapi';
import { accessPaths } from './access-paths.js';
import { adminPaths, publicPaths } from './admin-paths.js';

export type OpenApiDocument = ReturnType<typeof createDocument>;

/**
 * Routes the document leaves out on purpose, by path prefix, with why. The test that compares the
 * document with the routes the running app maps reads this list, so a new route is either
 * described or excluded here, in words.
 */
export const UNDESCRIBED_ROUTES: readonly { prefix: string; why: string }[] = [
  { prefix: '/requests', why: 'web pages (HTML forms with a session and CSRF), docs/api.md §6' },
  { prefix: '/admin', why: 'web pages for the security team' },
  { prefix: '/me', why: 'web pages for requesters' },
  { prefix: '/auth', why: 'web sign-in and sign-out' },
  { prefix: '/assets', why: "the web pages' stylesheet and copy script" },
  {
    prefix: '/v1/slack',
    why: "called by Slack alone: form-encoded, signed, Slack's contract (§7)",
  },
  { prefix: '/demo', why: 'the demo identity provider, present only with the demo config' },
];

/** The web pages' home, `/` exactly (a prefix would match everything). */
export const UNDESCRIBED_EXACT: readonly string[] = ['/'];

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas the routes validate
 * with (zod-openapi): request bodies, queries and path parameters as validated, the one error
 * body, and the answers of the main routes (responses.ts, held to the views they describe).
 * docs/api.md stays the reference in words.
 */
export function openApiDocument(): OpenApiDocument {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'countersign',
      version: '1',
      description:
        'Just-in-time privileged access: requests, distinct approvals, short-lived credentials, revocation, audit. The reference in words is docs/api.md.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            "A JWT from a trusted issuer, a JWT-SVID of a configured trust domain, or a service account's API key (cs_sa_…)",
        },
      },
    },
    paths: { ...accessPaths, ...adminPaths, ...publicPaths },
  });
}
