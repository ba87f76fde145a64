// @ts-check
import tseslint from 'typescript-eslint';

/**
 * Dependency direction (shared/docs/DESIGN.md, docs/architecture.md): each folder lists the
 * folders it must NOT import. Checked here so nobody has to remember it.
 */
const layers = {
  formats: [
    'domain',
    'services',
    'ports',
    'jobs',
    'adapters',
    'http',
    'sdk',
    'cli',
    'config',
    'app',
  ],
  apps: ['services', 'ports', 'jobs', 'adapters', 'http', 'sdk', 'cli', 'config', 'app'],
  domain: ['apps', 'services', 'ports', 'jobs', 'adapters', 'http', 'sdk', 'cli', 'config', 'app'],
  services: ['jobs', 'adapters', 'http', 'sdk', 'cli', 'config', 'app'],
  jobs: ['adapters', 'http', 'sdk', 'cli', 'config', 'app'],
  adapters: ['services', 'jobs', 'http', 'sdk', 'cli', 'config', 'app'],
  http: ['ports', 'jobs', 'adapters', 'cli', 'app'],
  cli: ['ports', 'jobs', 'adapters', 'http', 'app'],
  config: ['services', 'ports', 'jobs', 'adapters', 'http', 'sdk', 'cli', 'app'],
  // The web UI talks to the hub only over HTTP, through the SDK.
  ui: [
    'formats',
    'domain',
    'services',
    'ports',
    'jobs',
    'adapters',
    'http',
    'cli',
    'config',
    'app',
  ],
  sdk: ['domain', 'services', 'ports', 'jobs', 'adapters', 'http', 'cli', 'config', 'app'],
};

const layerRules = Object.entries(layers).map(([layer, forbidden]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: forbidden.map((f) => (f === 'ports' ? '**/ports.js' : `**/${f}/**`)),
            message: `src/${layer} may not import this layer (see docs/architecture.md).`,
          },
        ],
      },
    ],
  },
}));

/**
 * The SDK's core runs in browsers too (the web UI): no Node built-ins there. Node-only helpers
 * live in src/sdk/node.ts and src/sdk/*-node.ts (transfer-node.ts ...). Repeats the sdk layer rule, since a later rule entry replaces it.
 */
const browserSafeSdk = {
  files: ['src/sdk/**/*.ts'],
  ignores: ['src/sdk/node.ts', 'src/sdk/*-node.ts', 'src/sdk/**/*.test.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: layers.sdk.map((f) => (f === 'ports' ? '**/ports.js' : `**/${f}/**`)),
            message: 'src/sdk may not import this layer (see docs/architecture.md).',
          },
          {
            group: [
              'node:*',
              'fs',
              'fs/*',
              'path',
              'crypto',
              'stream',
              'stream/*',
              'os',
              'http',
              'https',
            ],
            message: 'The SDK core must run in browsers: Node-only code goes in src/sdk/node.ts.',
          },
        ],
      },
    ],
  },
};

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'seqhub-data/',
      'bench/results/',
      '.bench-data/',
      'test-output/',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSEnumDeclaration',
          message: 'No enums: use an `as const` object and a union.',
        },
        { selector: 'TSModuleDeclaration[kind="namespace"]', message: 'No namespaces.' },
        { selector: 'ExportDefaultDeclaration', message: 'Named exports only.' },
      ],
    },
  },
  {
    files: ['**/*.config.ts', 'eslint.config.js', 'test/support/global-setup.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  ...layerRules,
  browserSafeSdk,
);
