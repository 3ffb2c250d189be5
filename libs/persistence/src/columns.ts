import type { ValueTransformer } from 'typeorm';

/**
 * Instants are stored as epoch milliseconds in a bigint column: the one type that means the same
 * on PostgreSQL and SQLite (TypeORM maps timestamptz and datetime differently). node-pg returns
 * bigint as a string, hence the transformer.
 */
export const epochMs: ValueTransformer = {
  to: (value: Date | null | undefined) => (value instanceof Date ? value.getTime() : value),
  from: (value: string | number | null) => (value === null ? null : new Date(Number(value))),
};

/** JSON documents are stored as text on both databases. */
export const jsonText: ValueTransformer = {
  to: (value: unknown) => (value === undefined ? undefined : JSON.stringify(value)),
  from: (value: string | null): unknown => (value === null ? null : JSON.parse(value)),
};

/** As jsonText, but null stays SQL NULL rather than the text `null`. */
export const nullableJsonText: ValueTransformer = {
  to: (value: unknown) => (value === null || value === undefined ? value : JSON.stringify(value)),
  from: (value: string | null): unknown => (value === null ? null : JSON.parse(value)),
};

export const bigintNumber: ValueTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};
