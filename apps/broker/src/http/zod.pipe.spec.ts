import type { z } from 'zod';
import { DomainError } from '#domain';
import type { FieldError } from '#domain';
import {
  auditQuery,
  createRequestBody,
  denyBody,
  grantListQuery,
  requestListQuery,
} from '../api/schemas.js';
import { ZodPipe } from './zod.pipe.js';

/** What the pipe refuses `value` with: the failing fields, or a failure of the test. */
function refusal(schema: z.ZodType, value: unknown): { message: string; fields: FieldError[] } {
  try {
    new ZodPipe(schema).transform(value);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    expect(error.code).toBe('invalid_request');
    return { message: error.message, fields: error.details.fields ?? [] };
  }
  throw new Error('accepted');
}

describe('ZodPipe names each failing field in words', () => {
  it.each<[string, z.ZodType, unknown, FieldError[]]>([
    ['a missing field', denyBody, {}, [{ field: 'reason', message: 'is required' }]],
    [
      'an empty string',
      denyBody,
      { reason: '' },
      [{ field: 'reason', message: 'must not be empty' }],
    ],
    [
      'a string too long',
      denyBody,
      { reason: 'x'.repeat(1001) },
      [{ field: 'reason', message: 'must be at most 1000 characters' }],
    ],
    ['a wrong type', denyBody, { reason: 7 }, [{ field: 'reason', message: 'must be a string' }]],
    [
      'a body that is not an object',
      denyBody,
      ['reason'],
      [{ field: 'body', message: 'must be an object, not a list' }],
    ],
    [
      'an unknown field, by its name',
      createRequestBody,
      { role: 'r', bogus: 1, other: 2 },
      [
        { field: 'bogus', message: 'is not a known field' },
        { field: 'other', message: 'is not a known field' },
      ],
    ],
    [
      'an unknown nested field, by its path',
      createRequestBody,
      { role: 'r', intent: { actions: [], extra: true } },
      [{ field: 'intent.extra', message: 'is not a known field' }],
    ],
    [
      'an item of a list, by its index',
      createRequestBody,
      { role: 'r', intent: { actions: ['ok', ''] } },
      [{ field: 'intent.actions[1]', message: 'must not be empty' }],
    ],
    [
      'a list too long',
      createRequestBody,
      { role: 'r', intent: { actions: Array.from({ length: 101 }, () => 'a') } },
      [{ field: 'intent.actions', message: 'must have at most 100 items' }],
    ],
    [
      'a duration of neither type',
      createRequestBody,
      { role: 'r', duration: true },
      [{ field: 'duration', message: 'must be a string or a number' }],
    ],
    [
      'a duration of the right type out of range',
      createRequestBody,
      { role: 'r', duration: -5 },
      [{ field: 'duration', message: 'must be greater than 0' }],
    ],
    [
      'a schema that says what it wants',
      createRequestBody,
      { role: 'r', recipient: 'nobody' },
      [{ field: 'recipient', message: 'must look like <issuer>:<sub>' }],
    ],
    [
      'a value not among the allowed ones',
      requestListQuery,
      { status: 'open' },
      [
        {
          field: 'status',
          message: 'must be one of: pending, approved, denied, cancelled, expired, issued',
        },
      ],
    ],
    [
      'a query parameter given twice',
      grantListQuery,
      { status: ['active', 'revoked'] },
      [{ field: 'status', message: 'must be given once, not as a list' }],
    ],
    [
      'a number out of range',
      grantListQuery,
      { limit: '201' },
      [{ field: 'limit', message: 'must be at most 200' }],
    ],
    [
      'a number that is not',
      grantListQuery,
      { limit: 'abc' },
      [{ field: 'limit', message: 'must be a number' }],
    ],
    [
      'an instant without its offset',
      auditQuery,
      { since: '2026-01-31T09:00:00' },
      [
        {
          field: 'since',
          message: 'must be an ISO 8601 instant with an offset, e.g. 2026-01-31T09:00:00Z',
        },
      ],
    ],
    [
      'a UUID that is not',
      auditQuery,
      { requestId: 'abc' },
      [{ field: 'requestId', message: 'must be a UUID' }],
    ],
  ])('%s', (_name, schema, value, fields) => {
    expect(refusal(schema, value).fields).toEqual(fields);
  });

  it('says it all in the message too, field by field', () => {
    expect(refusal(createRequestBody, { bogus: 1 }).message).toBe(
      'role: is required; bogus: is not a known field',
    );
  });

  it('reports at most 20 fields', () => {
    const body = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, i]));
    expect(refusal(denyBody, { reason: 'x', ...body }).fields).toHaveLength(20);
  });

  it('passes a valid value through, transformed', () => {
    expect(new ZodPipe(grantListQuery).transform({ overdue: 'true', limit: '5' })).toEqual({
      overdue: true,
      limit: 5,
    });
  });
});
