import { z } from 'zod';
import type { ZodOpenApiOperationObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import { SERVICE_ACCOUNT_NAME } from '#domain';
import { errorBody } from '../../http/error-body.js';

/**
 * The pieces every operation of the document is built from, so that each path in access-paths.ts
 * and admin-paths.ts reads as one line of what it takes and answers.
 */

/** What each error status means on this API (docs/api.md §4). */
const ERROR_MEANINGS: Readonly<Record<number, string>> = {
  400: 'invalid_request: the failing fields, each named with what is wrong',
  401: 'unauthenticated: a missing, malformed or unverifiable credential',
  403: 'forbidden, not_eligible, separation_of_duties or signature_required, with a reason',
  404: 'not_found: also for anything the caller may not see, and for an id that is not a UUID',
  409: 'invalid_state or already_issued, with a reason',
  413: 'payload_too_large: bodies over 1 MB',
  415: 'unsupported_media_type: a body that is not JSON (Content-Type: application/json)',
  429: 'rate_limited, with Retry-After',
  503: 'unavailable: the database or a provider; retry (Retry-After)',
};

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503;

const JSON_TYPE = 'application/json';
export const TEXT = 'text/plain; charset=utf-8';

/** Error answers of an operation, each with the one error body. */
export function errors(...statuses: ErrorStatus[]): ZodOpenApiResponsesObject {
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: ERROR_MEANINGS[status], content: { [JSON_TYPE]: { schema: errorBody } } },
    ]),
  );
}

/** Statuses any authenticated route may answer. */
const AUTHENTICATED: ErrorStatus[] = [401, 429, 503];
/** And those of any route that takes a JSON body. */
const WITH_BODY: ErrorStatus[] = [400, 413, 415];

export interface Answer {
  status: 200 | 201;
  description: string;
  /** The answer's schema, where the API has one; its media type otherwise. */
  schema?: z.ZodType;
  type?: string;
}

export const ok = (description: string): Answer => ({ status: 200, description });
export const created = (description: string): Answer => ({ status: 201, description });

function success(answer: Answer): ZodOpenApiResponsesObject {
  const type = answer.type ?? JSON_TYPE;
  return {
    [String(answer.status)]: {
      description: answer.description,
      content: { [type]: answer.schema ? { schema: answer.schema } : {} },
    },
  };
}

interface Operation {
  summary: string;
  tags: string[];
  answer: Answer;
  /** Errors beyond those every authenticated route (and every body) may answer. */
  errors?: ErrorStatus[];
}

/** A GET with optional query and path parameters. */
export function read(
  operation: Operation & { query?: z.ZodObject; path?: z.ZodObject },
): ZodOpenApiOperationObject {
  return {
    summary: operation.summary,
    tags: operation.tags,
    ...params(operation.query, operation.path),
    responses: {
      ...success(operation.answer),
      ...errors(...[...(operation.query ? [400 as const] : []), ...AUTHENTICATED]),
      ...errors(...(operation.errors ?? [])),
    },
  };
}

/** A POST taking a JSON body (an empty object where it takes nothing). */
export function write(
  operation: Operation & { body: z.ZodType; path?: z.ZodObject },
): ZodOpenApiOperationObject {
  return {
    summary: operation.summary,
    tags: operation.tags,
    ...params(undefined, operation.path),
    requestBody: {
      // Optional where an empty body is valid: a bare POST (no body, no type) is then accepted.
      required: !operation.body.safeParse({}).success,
      content: { [JSON_TYPE]: { schema: operation.body } },
    },
    responses: {
      ...success(operation.answer),
      ...errors(...WITH_BODY, ...AUTHENTICATED),
      ...errors(...(operation.errors ?? [])),
    },
  };
}

/** A public GET: no credential, no rate limit. */
export function publicRead(
  summary: string,
  tags: string[],
  answer: Answer,
): ZodOpenApiOperationObject {
  return { summary, tags, security: [], responses: success(answer) };
}

function params(
  query?: z.ZodObject,
  path?: z.ZodObject,
): Pick<ZodOpenApiOperationObject, 'requestParams'> {
  if (!query && !path) return {};
  return { requestParams: { ...(query ? { query } : {}), ...(path ? { path } : {}) } };
}

/** Path parameters: the ids are UUIDs (anything else is a 404), names as the API allows them. */
export const requestIdPath = z.object({ id: z.uuid().meta({ description: 'the request id' }) });
export const grantIdPath = z.object({ id: z.uuid().meta({ description: 'the grant id' }) });
export const accountNamePath = z.object({
  name: z.string().regex(SERVICE_ACCOUNT_NAME).meta({ description: 'the service account name' }),
});
