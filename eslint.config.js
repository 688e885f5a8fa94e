// Lint rules: the recommended sets plus the few that keep errors and promises honest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import boundaries (docs/architecture.md, "Layout and dependency direction"): the services and adapters depend on
// the ports, the pure core and the libraries, never on each other; the ports depend only on `dag/` and `lib/`;
// `dag/` is pure. Tests may compose freely.
const layered = ['store', 'queue', 'scheduler', 'worker', 'executor'];
const composing = ['cli', 'app', 'actions', 'inspect', 'standalone', 'http', 'dag-test', 'web'];
const paths = (folders) => folders.flatMap((folder) => [`../${folder}/*`, `../${folder}.js`, `../../${folder}/*`]);
const boundary = (folder, banned, message) => ({
  files: [`src/${folder}/**/*.ts`],
  ignores: ['**/*.test.ts', '**/*.suite.ts'],
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: paths(banned), message }] }] },
});
const boundaries = [
  ...layered.map((folder) =>
    boundary(folder, [...layered.filter((other) => other !== folder), ...composing],
      `src/${folder} may import only src/ports, src/dag, src/lib and the domain modules below it (manifest, shim, config).`),
  ),
  boundary('ports', [...layered, ...composing, 'manifest', 'shim', 'config'], 'src/ports may import only src/dag and src/lib.'),
  {
    files: ['src/dag/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'pg', 'ioredis', 'execa'], message: 'src/dag is pure: time, randomness and I/O are arguments.' },
          { group: paths([...layered, ...composing, 'ports', 'manifest', 'shim', 'config']), message: 'src/dag may import only src/lib.' },
        ],
      }],
    },
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'python-shim/**', 'coverage/**', '.dagbridge/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
  ...boundaries,
  // The web UI (ui/, built by Vite) runs in the browser: it may import only its own files, React and the pure core.
  {
    files: ['ui/src/**/*.ts', 'ui/src/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'pg', 'ioredis', 'execa', 'fastify'], message: 'ui/ runs in the browser: it talks to the server through its API only.' },
          { group: ['../../src/*', '!../../src/dag'], message: 'ui/ may import only src/dag (the pure core) from the server code.' },
        ],
      }],
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
