import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { auditQuery, consistencyProofQuery, emptyBody, inclusionProofQuery } from '../schemas.js';
import {
  createBody as accountCreateBody,
  listQuery as accountListQuery,
  rotateBody as accountRotateBody,
} from '../service-accounts.controller.js';
import { TEXT, accountNamePath, created, ok, publicRead, read, write } from './operations.js';
import { page, serviceAccountView, serviceAccountWithKey } from './responses.js';

/** The security team's routes: audit log, keys, policy, service accounts. */
export const adminPaths: ZodOpenApiPathsObject = {
  '/v1/audit': {
    get: read({
      summary: 'Audit events, oldest first (admins)',
      tags: ['audit'],
      query: auditQuery,
      answer: ok('a page: {items, nextCursor?}'),
      errors: [403],
    }),
  },
  '/v1/audit/verify': {
    get: read({
      summary: 'Recompute the hash chain (admins)',
      tags: ['audit'],
      answer: ok('{ok, events, head, brokenAt?, reason?}'),
      errors: [403],
    }),
  },
  '/v1/audit/checkpoint': {
    get: read({
      summary: 'The latest signed checkpoint (C2SP tlog-checkpoint)',
      tags: ['audit'],
      answer: { ...ok('the checkpoint note'), type: TEXT },
    }),
  },
  '/v1/audit/proof/inclusion': {
    get: read({
      summary: 'An inclusion proof of one event in a tree size',
      tags: ['audit'],
      query: inclusionProofQuery,
      answer: ok('the proof'),
    }),
  },
  '/v1/audit/proof/consistency': {
    get: read({
      summary: 'A consistency proof between two tree sizes',
      tags: ['audit'],
      query: consistencyProofQuery,
      answer: ok('the proof'),
    }),
  },
  '/v1/keys/rotate': {
    post: write({
      summary: 'Add a signing key that signs from now on (admins)',
      tags: ['keys'],
      body: emptyBody,
      answer: ok('{kid, retired, publishedFor}'),
      errors: [403],
    }),
  },
  '/v1/policy/reload': {
    post: write({
      summary: 'Reload the policy without a restart (admins)',
      tags: ['policy'],
      body: emptyBody,
      answer: ok('what the new policy changed'),
      errors: [403],
    }),
  },
  '/v1/service-accounts': {
    post: write({
      summary: 'Create a service account and its first API key (admins)',
      tags: ['service-accounts'],
      body: accountCreateBody,
      answer: {
        ...created('the account with its key, shown this once'),
        schema: serviceAccountWithKey,
      },
      errors: [403, 409],
    }),
    get: read({
      summary: 'Service accounts: every one for admins, those you own otherwise',
      tags: ['service-accounts'],
      query: accountListQuery,
      answer: {
        ...ok('a page of accounts'),
        schema: page(serviceAccountView, 'ServiceAccountPage'),
      },
      errors: [403],
    }),
  },
  '/v1/service-accounts/{name}': {
    get: read({
      summary: 'A service account (admins, its owner)',
      tags: ['service-accounts'],
      path: accountNamePath,
      answer: { ...ok('the account'), schema: serviceAccountView },
      errors: [403, 404],
    }),
  },
  '/v1/service-accounts/{name}/rotate': {
    post: write({
      summary: 'Replace the API key (admins)',
      tags: ['service-accounts'],
      path: accountNamePath,
      body: accountRotateBody,
      answer: {
        ...ok('the account with its new key, shown this once'),
        schema: serviceAccountWithKey,
      },
      errors: [403, 404, 409],
    }),
  },
  '/v1/service-accounts/{name}/disable': {
    post: write({
      summary: 'Disable a service account and its key (admins)',
      tags: ['service-accounts'],
      path: accountNamePath,
      body: emptyBody,
      answer: { ...ok('the account, disabled'), schema: serviceAccountView },
      errors: [403, 404],
    }),
  },
};

/** Public routes: key sets, health, metrics and this document. */
export const publicPaths: ZodOpenApiPathsObject = {
  '/.well-known/jwks.json': {
    get: publicRead('Public keys of minted credentials', ['keys'], ok('a JWK set')),
  },
  '/.well-known/countersign-evidence-keys.json': {
    get: publicRead(
      'Keys of receipts and evidence, retired ones included',
      ['keys'],
      ok('a JWK set'),
    ),
  },
  '/.well-known/countersign-log-key': {
    get: publicRead("The audit log's note verifier key", ['keys'], {
      ...ok('one line'),
      type: TEXT,
    }),
  },
  '/.well-known/countersign-log-keys': {
    get: publicRead("Every audit log key's verifier key, oldest first", ['keys'], {
      ...ok('one a line'),
      type: TEXT,
    }),
  },
  '/.well-known/countersign-ssh-ca.pub': {
    get: publicRead('The SSH user CA public keys, OpenSSH lines (docs/providers.md)', ['keys'], {
      ...ok('one key a line: sshd’s TrustedUserCAKeys'),
      type: TEXT,
    }),
  },
  '/v1/ssh/krl': {
    get: publicRead(
      'The OpenSSH key revocation list of early-revoked certificates',
      ['credentials'],
      {
        ...ok('a KRL: sshd’s RevokedKeys'),
        type: 'application/octet-stream',
      },
    ),
  },
  '/health/live': {
    get: publicRead('The process answers', ['operations'], {
      ...ok('{status: "ok"}'),
      schema: z.object({ status: z.literal('ok') }),
    }),
  },
  '/health/ready': {
    get: publicRead(
      'The database (and Redis) answer; 503 while not or while stopping',
      ['operations'],
      ok('ready'),
    ),
  },
  '/metrics': {
    get: publicRead('Prometheus metrics', ['operations'], {
      ...ok('text exposition format'),
      type: 'text/plain',
    }),
  },
  '/openapi.json': {
    get: publicRead('This document', ['operations'], ok('OpenAPI 3.1')),
  },
};
