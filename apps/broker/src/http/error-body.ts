import { z } from 'zod';

/**
 * Every error answer's shape (docs/api.md §4), as a schema so that the OpenAPI document states
 * it from the same source the error filter's type comes from.
 */
export const errorBody = z
  .object({
    error: z.string().meta({
      description:
        'invalid_request, unauthenticated, forbidden, not_eligible, separation_of_duties, not_found, invalid_state, already_issued, payload_too_large, unsupported_media_type, rate_limited, unavailable or internal_error',
    }),
    message: z.string().meta({ description: 'what went wrong, in words; never a secret' }),
    reason: z
      .string()
      .optional()
      .meta({ description: 'a machine-readable reason, e.g. self_approval' }),
    fields: z
      .array(
        z.object({
          field: z.string().meta({ description: 'the path of the field: intent.actions[1]' }),
          message: z.string().meta({ description: 'what is wrong with it: must not be empty' }),
        }),
      )
      .optional()
      .meta({ description: 'the failing fields of an invalid_request, unknown fields included' }),
  })
  .meta({ id: 'Error' });

export type ErrorBody = z.infer<typeof errorBody>;
