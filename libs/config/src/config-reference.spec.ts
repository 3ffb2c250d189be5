import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configFileSchema } from './file-schema.js';

/**
 * docs/configuration.md is the configuration reference; this keeps it true to the schema. Every
 * field is a table row whose first cell is its backticked path (`policy.roles[].maxDuration`),
 * followed, inside a discriminated union, by the variants it covers (`(postgres)`), so a field
 * the schema gains or loses fails here by name.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');
const REFERENCE = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');

type Schema = z.core.$ZodType;

/** A field of the config file: its path, its variant inside a discriminated union, its schema. */
interface Field {
  path: string;
  variant?: string;
  schema: Schema;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch']);

/** The schema that gives a value its shape: wrappers and transforms taken off. */
function unwrap(schema: Schema): Schema {
  const def = schema._zod.def;
  if (WRAPPERS.has(def.type)) return unwrap((def as z.core.$ZodOptionalDef).innerType);
  if (def.type === 'pipe') return unwrap((def as z.core.$ZodPipeDef).in);
  return schema;
}

// Shapes whose fields the walk below cannot list: meeting one fails the test rather than hide them.
const OPAQUE = new Set(['intersection', 'lazy', 'tuple', 'map', 'set']);

function fieldsOf(schema: Schema, path: string, variant?: string): Field[] {
  const def = unwrap(schema)._zod.def;
  if (def.type === 'object') {
    return Object.entries((def as z.core.$ZodObjectDef).shape).flatMap(([key, child]) => {
      const childPath = path === '' ? key : `${path}.${key}`;
      return [{ path: childPath, variant, schema: child }, ...fieldsOf(child, childPath, variant)];
    });
  }
  if (def.type === 'array') {
    return fieldsOf((def as z.core.$ZodArrayDef).element, `${path}[]`, variant);
  }
  if (def.type === 'union') {
    const { discriminator, options } = def as z.core.$ZodDiscriminatedUnionDef;
    if (discriminator === undefined) throw new Error(`${path}: a union needs a discriminator`);
    return options.flatMap((option) => {
      const value = discriminant(option, discriminator);
      return fieldsOf(option, path, variant === undefined ? value : `${variant}/${value}`);
    });
  }
  if (def.type === 'record' && fieldsOf((def as z.core.$ZodRecordDef).valueType, path).length) {
    throw new Error(`${path}: a map of objects; teach the walk a path for its entries`);
  }
  if (OPAQUE.has(def.type)) throw new Error(`${path}: the walk cannot see into a ${def.type}`);
  return [];
}

function discriminant(option: Schema, discriminator: string): string {
  const shape = (unwrap(option)._zod.def as z.core.$ZodObjectDef).shape;
  const literal = unwrap(shape[discriminator])._zod.def as z.core.$ZodLiteralDef<string>;
  return String(literal.values[0]);
}

const isContainer = (field: Field) => fieldsOf(field.schema, field.path).length > 0;

const key = (path: string, variant?: string) =>
  variant === undefined ? path : `${path} (${variant})`;

const FIELDS = new Map(fieldsOf(configFileSchema, '').map((f) => [key(f.path, f.variant), f]));

/** A row of a markdown table, by header name, with the table's first header cell. */
interface Row {
  table: string;
  cells: Record<string, string>;
}

function tableRows(markdown: string): Row[] {
  const rows: Row[] = [];
  let header: string[] | undefined;
  markdown.split('\n').forEach((line) => {
    if (!line.startsWith('|')) {
      header = undefined;
      return;
    }
    const cells = splitRow(line);
    if (header === undefined) {
      header = cells;
    } else if (!/^\|[\s|:-]+\|$/.test(line)) {
      const named = Object.fromEntries(header.map((name, at) => [name, cells[at] ?? '']));
      rows.push({ table: header[0], cells: named });
    }
  });
  return rows;
}

/** Cells of one table row; `\|` is a pipe inside a cell. */
function splitRow(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replaceAll('\\|', '|'));
}

const ROWS = tableRows(REFERENCE);
const FIELD_ROW = /^`([^`]+)`(?: \(([^)]+)\))?$/;

/** The documented rows, each under every (path, variant) key it covers. */
function documentedFields(): { keys: Map<string, Row>; problems: string[] } {
  const keys = new Map<string, Row>();
  const problems: string[] = [];
  for (const row of ROWS.filter((r) => r.table === 'field')) {
    const match = FIELD_ROW.exec(row.cells.field);
    if (!match) {
      problems.push(`a field row whose first cell is not \`path\` (variants): ${row.cells.field}`);
      continue;
    }
    const variants = match[2]?.split(',').map((v) => v.trim().replaceAll('`', '')) ?? [undefined];
    for (const variant of variants) {
      const documented = key(match[1], variant);
      if (keys.has(documented)) problems.push(`${documented} is documented twice`);
      keys.set(documented, row);
    }
  }
  return { keys, problems };
}

const DOCUMENTED = documentedFields();

/** A cell holding exactly one backticked value, read as YAML; undefined for prose. */
function yamlValue(cell: string): { value: unknown } | undefined {
  const match = /^`([^`]+)`$/.exec(cell);
  return match ? { value: parseYaml(match[1]) as unknown } : undefined;
}

/** What the schema gives when a field is left out: a default, nothing (optional), or an error. */
function schemaDefault(schema: Schema): { value: unknown } | 'optional' | 'required' {
  const result = z.safeParse(schema, undefined);
  if (!result.success) return 'required';
  return result.data === undefined ? 'optional' : { value: result.data };
}

function defaultProblem(name: string, field: Field, cell: string): string | undefined {
  const expected = schemaDefault(field.schema);
  const documented = yamlValue(cell);
  if (expected === 'required') {
    return cell === 'required' ? undefined : `${name}: is required, documented default ${cell}`;
  }
  if (expected === 'optional') {
    return documented === undefined && cell !== 'required'
      ? undefined
      : `${name}: has no default, documented ${cell} (say what its absence means in words)`;
  }
  if (documented === undefined) {
    return `${name}: default ${JSON.stringify(expected.value)}, documented ${cell || '(empty)'}`;
  }
  // Through the field's own schema, so `30s` matches 30 seconds and `{}` an object's defaults.
  const normalized = z.safeParse(field.schema, documented.value);
  return normalized.success && isDeepStrictEqual(normalized.data, expected.value)
    ? undefined
    : `${name}: default ${JSON.stringify(expected.value)}, documented ${cell}`;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .map((file) => readFileSync(join(dir, file), 'utf8'));
}

const matchesOf = (pattern: RegExp, text: string) => [...text.matchAll(pattern)].map((m) => m[1]);

/**
 * The environment variables the processes read: every upper-case literal of env.ts (its
 * resolvers), every `(env, 'NAME'` call in libs/config (envValue and its kin), and every
 * `env.NAME` or `env['NAME']` anywhere in apps/ and libs/ (the CLI reads its io.env so).
 */
function variablesRead(): Set<string> {
  const config = join(ROOT, 'libs', 'config', 'src');
  const names = matchesOf(/'([A-Z][A-Z0-9_]+)'/g, readFileSync(join(config, 'env.ts'), 'utf8'));
  for (const source of sourcesUnder(config)) {
    names.push(...matchesOf(/\(env, '([A-Z][A-Z0-9_]+)'/g, source));
  }
  for (const top of ['apps', 'libs']) {
    for (const source of sourcesUnder(join(ROOT, top))) {
      names.push(...matchesOf(/\benv(?:\.|\[')([A-Z][A-Z0-9_]+)\b/g, source));
    }
  }
  return new Set(names);
}

describe('docs/configuration.md, the configuration reference', () => {
  it('walks objects, lists, discriminated unions and wrappers into field paths', () => {
    expect(FIELDS.has('revocation.sweepInterval')).toBe(true);
    expect(FIELDS.has('policy.roles[].breakGlass.notify.webhook.secret')).toBe(true);
    expect(FIELDS.has('policy.roles[].provider.connection (postgres)')).toBe(true);
    expect(FIELDS.has('audit.sinks[].port (syslog)')).toBe(true);
    expect(FIELDS.has('auth.issuers[].kind (oidc)')).toBe(true);
  });

  it('documents every field of the schema, and no field the schema lacks', () => {
    const undocumented = [...FIELDS.keys()].filter((k) => !DOCUMENTED.keys.has(k));
    const dead = [...DOCUMENTED.keys.keys()].filter((k) => !FIELDS.has(k));
    expect({ undocumented, dead, problems: DOCUMENTED.problems }).toEqual({
      undocumented: [],
      dead: [],
      problems: [],
    });
  });

  it('gives each field the default the schema applies ("required" where there is none)', () => {
    const problems = [...DOCUMENTED.keys].flatMap(([name, row]) => {
      const field = FIELDS.get(name);
      return field ? (defaultProblem(name, field, row.cells.default ?? '') ?? []) : [];
    });
    expect(problems).toEqual([]);
  });

  it('gives each field an example the schema accepts', () => {
    const problems = [...DOCUMENTED.keys].flatMap(([name, row]) => {
      const field = FIELDS.get(name);
      const example = yamlValue(row.cells.example ?? '');
      if (!field) return [];
      // A container's example is the YAML block of its section.
      if (example === undefined) return isContainer(field) ? [] : [`${name}: no example`];
      const result = z.safeParse(field.schema, example.value);
      return result.success ? [] : [`${name}: example ${row.cells.example} is rejected`];
    });
    expect(problems).toEqual([]);
  });

  it('lists every environment variable the processes read, and none they do not', () => {
    const listed = ROWS.filter((r) => r.table === 'variable').map((r) => r.cells.variable);
    const read = [...variablesRead()].map((name) => `\`${name}\``);
    expect({
      unlisted: read.filter((name) => !listed.includes(name)).sort(),
      notRead: listed.filter((name) => !read.includes(name)).sort(),
    }).toEqual({ unlisted: [], notRead: [] });
    expect(listed).toContain('`COUNTERSIGN_ENCRYPTION_KEY`');
  });

  it('names each field an environment variable overrides, and that field names it back', () => {
    const problems = ROWS.filter((r) => r.table === 'variable').flatMap((r) => {
      const paths = matchesOf(/`([^`]+)`/g, r.cells.overrides ?? '');
      return paths.flatMap((path) => {
        const row = DOCUMENTED.keys.get(path);
        if (!FIELDS.has(path) || !row) return [`${r.cells.variable} overrides unknown ${path}`];
        return row.cells.notes?.includes(r.cells.variable)
          ? []
          : [`${path}'s notes do not name ${r.cells.variable}`];
      });
    });
    expect(problems).toEqual([]);
    expect(DOCUMENTED.keys.get('logLevel')?.cells.notes).toContain('`LOG_LEVEL`');
  });
});
