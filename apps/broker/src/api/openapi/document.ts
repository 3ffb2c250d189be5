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
  { prefix: '/assets', why: "the web pages' stylesheet, copy script and passkey script" },
  {
    prefix: '/v1/slack',
    why: "called by Slack alone: form-encoded, signed, Slack's contract (§7)",
  },
  { prefix: '/demo', why: 'the demo identity provider, present only with the demo config' },
];

/** The web pages' home, `/` exactly (a prefix would match everything). */
export const UNDESCRIBED_EXACT: readonly string[] = ['/'];

/** Groups of operations, each with the page of docs/ that explains it. */
const TAGS = [
  { name: 'requests', description: 'ask, approve, deny, cancel, mint (docs/api.md §4)' },
  { name: 'grants', description: 'grants, revocation and extension (docs/api.md §4)' },
  { name: 'break-glass', description: 'access at once, reviewed afterwards (docs/break-glass.md)' },
  { name: 'credentials', description: 'introspection and the revocation list (docs/api.md §8)' },
  { name: 'roles', description: 'what the caller may request (docs/api-extensions.md)' },
  { name: 'evidence', description: 'sealed evidence bundles (docs/evidence.md)' },
  { name: 'audit', description: 'the transparency log (docs/audit.md)' },
  { name: 'keys', description: 'signing keys and published key sets (docs/api-extensions.md)' },
  { name: 'policy', description: 'reloading the policy (docs/policy-changes.md)' },
  { name: 'service-accounts', description: 'service accounts and API keys (docs/identity.md)' },
  { name: 'operations', description: 'health, metrics and this document (docs/deploy.md)' },
];

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
    tags: TAGS,
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
