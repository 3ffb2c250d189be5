import { z } from 'zod';
import { decodeCursor } from '#persistence';
import { DEFAULT_PAGE } from './admin-lists.js';

/**
 * The query of every admin list page: the API's keyset cursor and page size (docs/api.md §4),
 * nothing else. A cursor that does not decode is refused rather than read as the first page, which
 * would loop whoever follows the links.
 */
export const adminPageQuery = z.strictObject({
  cursor: z
    .string()
    .min(1)
    .max(200)
    .refine((value) => decodeCursor(value) !== undefined, 'not a cursor from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(DEFAULT_PAGE),
});

export type AdminPageQuery = z.infer<typeof adminPageQuery>;
