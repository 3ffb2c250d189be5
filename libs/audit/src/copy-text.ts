const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIAL_ALL = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/**
 * A value for PostgreSQL's COPY text format, where a tab separates columns, a newline ends a row and
 * `\N` is null. Backslash, newline, carriage return and tab inside a value are escaped, so no value
 * can end a column or a row early (or spell the end-of-data marker `\.`), whatever a principal or a
 * reason contains.
 */
export function copyText(value: string | undefined | null): string {
  if (value === undefined || value === null) return '\\N';
  return COPY_SPECIAL.test(value)
    ? value.replace(COPY_SPECIAL_ALL, (special) => COPY_ESCAPES[special])
    : value;
}
