import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import {
  approveBody,
  breakGlassBody,
  createRequestBody,
  denyBody,
  emptyBody,
  extendBody,
  grantListQuery,
  introspectBody,
  mintBody,
  requestListQuery,
  reviewBody,
  revokeBody,
} from '../schemas.js';
import { created, grantIdPath, ok, read, requestIdPath, write } from './operations.js';
import {
  breakGlassActivation,
  grantView,
  introspection,
  mintAnswer,
  page,
  requestView,
  roleView,
} from './responses.js';

const requestPage = page(requestView, 'RequestPage');
const grantPage = page(grantView, 'GrantPage');

/** The access flow: requests, decisions, credentials, grants (docs/api.md §4). */
export const accessPaths: ZodOpenApiPathsObject = {
  '/v1/requests': {
    post: write({
      summary: 'Ask for a role',
      tags: ['requests'],
      body: createRequestBody,
      answer: { ...created('the request'), schema: requestView },
      errors: [403],
    }),
    get: read({
      summary: 'Requests the caller may see, newest first',
      tags: ['requests'],
      query: requestListQuery,
      answer: { ...ok('a page of requests'), schema: requestPage },
    }),
  },
  '/v1/requests/{id}': {
    get: read({
      summary: 'A request with its approvals',
      tags: ['requests'],
      path: requestIdPath,
      answer: { ...ok('the request'), schema: requestView },
      errors: [404],
    }),
  },
  '/v1/requests/{id}/evidence': {
    get: read({
      summary: 'The sealed evidence bundle, canonical JSON, byte for byte (docs/evidence.md)',
      tags: ['evidence'],
      path: requestIdPath,
      answer: ok('the bundle'),
      errors: [403, 404, 409],
    }),
  },
  '/v1/requests/{id}/approve': {
    post: write({
      summary: 'Approve a request',
      tags: ['requests'],
      path: requestIdPath,
      body: approveBody,
      answer: { ...ok('the request, pending or approved'), schema: requestView },
      errors: [403, 404, 409],
    }),
  },
  '/v1/requests/{id}/deny': {
    post: write({
      summary: 'Deny a request',
      tags: ['requests'],
      path: requestIdPath,
      body: denyBody,
      answer: { ...ok('the request, denied'), schema: requestView },
      errors: [403, 404, 409],
    }),
  },
  '/v1/requests/{id}/cancel': {
    post: write({
      summary: 'Cancel your own pending request',
      tags: ['requests'],
      path: requestIdPath,
      body: emptyBody,
      answer: { ...ok('the request, cancelled'), schema: requestView },
      errors: [403, 404, 409],
    }),
  },
  '/v1/requests/{id}/credentials': {
    post: write({
      summary: 'Mint the credential of an approved request, once',
      tags: ['requests'],
      path: requestIdPath,
      body: mintBody,
      answer: { ...created('the credential, minted once'), schema: mintAnswer },
      errors: [403, 404, 409],
    }),
  },
  '/v1/requests/{id}/review': {
    post: write({
      summary: 'Review a break-glass activation (docs/break-glass.md)',
      tags: ['break-glass'],
      path: requestIdPath,
      body: reviewBody,
      answer: { ...ok('the request, with its review'), schema: requestView },
      errors: [403, 404, 409],
    }),
  },
  '/v1/break-glass': {
    post: write({
      summary: 'Break the glass: a credential at once, reviewed afterwards',
      tags: ['break-glass'],
      body: breakGlassBody,
      answer: { ...created('the credential, at once'), schema: breakGlassActivation },
      errors: [403],
    }),
  },
  '/v1/grants': {
    get: read({
      summary: 'Grants: all of them for admins, your own otherwise',
      tags: ['grants'],
      query: grantListQuery,
      answer: { ...ok('a page of grants'), schema: grantPage },
    }),
  },
  '/v1/grants/{id}': {
    get: read({
      summary: 'A grant',
      tags: ['grants'],
      path: grantIdPath,
      answer: { ...ok('the grant'), schema: grantView },
      errors: [404],
    }),
  },
  '/v1/grants/{id}/revoke': {
    post: write({
      summary: 'End a grant now (idempotent)',
      tags: ['grants'],
      path: grantIdPath,
      body: revokeBody,
      answer: { ...ok('the grant, revoked (or as it ended)'), schema: grantView },
      errors: [403, 404],
    }),
  },
  '/v1/grants/{id}/extend': {
    post: write({
      summary: 'Ask for more time on your grant: a linked request, judged like any other',
      tags: ['grants'],
      path: grantIdPath,
      body: extendBody,
      answer: { ...created('the extension request (extends: the grant id)'), schema: requestView },
      errors: [403, 404, 409],
    }),
  },
  '/v1/introspect': {
    post: write({
      summary: 'Is this credential active? (RFC 7662)',
      tags: ['credentials'],
      body: introspectBody,
      answer: { ...ok('RFC 7662: whether it is active, and its claims'), schema: introspection },
    }),
  },
  '/v1/revocations': {
    get: read({
      summary: 'The revoked, unexpired credential ids, as a signed JWT (docs/api.md §8)',
      tags: ['credentials'],
      answer: { ...ok('the signed revocation list'), type: 'application/jwt' },
    }),
  },
  '/v1/roles': {
    get: read({
      summary: 'The roles the caller may request (admins: every role)',
      tags: ['roles'],
      answer: { ...ok('{items}'), schema: z.object({ items: z.array(roleView) }) },
    }),
  },
};
