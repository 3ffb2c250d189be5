import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Import boundaries as allow-lists: an import whose specifier does not match `allowed` (a regular
 * expression) is refused, whether static, re-exported, dynamic (`import()`) or a type (`import
 * type`, `typeof import()`); a specifier matching `typesOnly` is allowed in type imports only.
 * no-restricted-imports does not see `import()`, hence the syntax selectors.
 */
function importsOnly({ allowed, typesOnly = '(?!)', message }) {
  const refused = `^(?!(${allowed}|(${typesOnly})$))`;
  const inSelector = refused.replaceAll('/', String.raw`\/`);
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { regex: refused, message },
          { regex: `^(${typesOnly})$`, allowTypeImports: true, message },
        ],
      },
    ],
    'no-restricted-syntax': [
      'error',
      { selector: `ImportExpression[source.value=/${inSelector}/]`, message },
      { selector: 'ImportExpression[source.type!="Literal"]', message: `${message} (computed)` },
      { selector: `TSImportType[argument.literal.value=/${inSelector}/]`, message },
    ],
  };
}

// Its own folder, or one level up at most: a relative path cannot climb into another lib or app.
const OWN_FILES = String.raw`\./|\.\./(?!\.\./)`;
const NO_APPS = String.raw`(?!.*(^|/)apps/)`;

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'data/**',
      'node_modules/**',
      'coverage/**',
      'jest.config.js',
      'eslint.config.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // A lib never reaches into an app.
  {
    files: ['libs/**/*.ts'],
    rules: importsOnly({
      allowed: `${NO_APPS}.`,
      message: 'a lib never imports an app: move what both need into a lib.',
    }),
  },
  // libs/domain is the auditable core: its own files only (no node:*, no package such as zod,
  // @nestjs/*, typeorm, bullmq, ioredis or jose, no other lib).
  {
    files: ['libs/domain/**/*.ts'],
    rules: importsOnly({
      allowed: OWN_FILES,
      message:
        'libs/domain imports only its own files: no node:*, no package, no other lib (STYLE.md).',
    }),
  },
  // The CLI talks to the broker over HTTP: no lib but the offline evidence verifier, which is
  // the one `countersign-verify` runs too (loaded on `evidence verify` only), and no app.
  {
    files: ['apps/cli/**/*.ts'],
    rules: importsOnly({
      allowed: `${OWN_FILES}|node:|(commander|openid-client|#evidence)$`,
      typesOnly: 'jose',
      message:
        'apps/cli imports its own files, node:*, commander, openid-client, #evidence and jose types only: it talks to the broker over HTTP.',
    }),
  },
  // Plain JavaScript children of tests run over dist/ and are outside the TypeScript project.
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly' },
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
