import type { z } from 'zod';
import { grantListQuery } from '../api/schemas.js';

/**
 * The query of every admin list page: the API's keyset cursor and page size (docs/api.md §4),
 * nothing else, checked as the API checks them (a cursor that does not decode is refused rather
 * than read as the first page, which would loop whoever follows the links).
 */
export const adminPageQuery = grantListQuery.pick({ cursor: true, limit: true });

export type AdminPageQuery = z.infer<typeof adminPageQuery>;
