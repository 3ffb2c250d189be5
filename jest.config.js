// ESM under jest: run through `node --experimental-vm-modules` (see package.json `test`),
// TypeScript compiled by swc with the project's .swcrc decorator settings.
const swc = [
  '@swc/jest',
  {
    // .swcrc excludes spec files from the build; jest must not read it.
    swcrc: false,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      target: 'es2022',
      keepClassNames: true,
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
    module: { type: 'es6' },
  },
];

const libs = [
  'domain',
  'config',
  'persistence',
  'identity',
  'credentials',
  'audit',
  'access',
  'evidence',
  'notify',
];
const moduleNameMapper = {
  '^(\\.{1,2}/.*)\\.js$': '$1',
  '^#migrations$': '<rootDir>/migrations/index.ts',
  // The audit log's pure modules (no TypeORM), for the offline verifiers.
  '^#audit-log$': '<rootDir>/libs/audit/src/log/index.ts',
  ...Object.fromEntries(libs.map((lib) => [`^#${lib}$`, `<rootDir>/libs/${lib}/src/index.ts`])),
};

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper,
  testEnvironment: 'node',
};

export default {
  // A hang detector, not a speed target (those live in bench/): tests start brokers, databases and
  // processes, and a loaded two-core machine tripped jest's 5 s default on healthy ones. Global:
  // jest-circus reads only the global value, not a project's.
  testTimeout: 30_000,
  // One test file at a time (tests share the machine's PostgreSQL, Redis and ports, and time
  // themselves), in a worker process that is replaced once a file leaves it above this: under
  // --experimental-vm-modules every file's module graph stays in memory, and a single process
  // that ran the whole suite grew past 4.5 GB and spent its time collecting garbage.
  workerIdleMemoryLimit: '1GB',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.spec.ts'],
    },
  ],
};
