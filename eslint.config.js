// Type-aware lint: the rules that catch real bugs in async stream code (floating promises above all).
import tseslint from 'typescript-eslint';

// Coded errors are made by a folder's registry (`<folder>Codes.error(code, message)`, topology/api/error-codes.ts),
// so a code missing from the registry (and from docs/errors.md) does not type-check.
const throughRegistry = {
  selector: 'NewExpression[callee.name=/^(TerminalError|RetryableError)$/]',
  message: "Make coded errors through the folder's registry: <folder>Codes.error(code, message).",
};

/** Imports that leave the folder (`depth` levels of `../` reach its root) go through an index.ts. */
function restrictedSyntax(depth, registry, production = registry) {
  const imports = {
    selector: `ImportDeclaration[source.value=/^(\\.\\.\\/){${depth},}[a-z-]+\\/(?!(.*\\/)?index\\.js$).+/]`,
    message: 'Import another folder only through its index.ts',
  };
  return ['error', imports, ...(registry ? [throughRegistry] : []), ...(production ? [noTestingEntry] : [])];
}

// Fixtures and test kits live behind `testing/` entries (e.g. schemas/testing/index.ts); production code never
// imports them, so a folder's index.ts stays the surface other folders' code uses.
const noTestingEntry = {
  selector: 'ImportDeclaration[source.value=/(^|\\/)testing\\//]',
  message: 'Production code does not import testing/ entries (fixtures and test kits are for tests).',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.infra/', 'coverage/', 'bench/results/', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // kafkajs and fastify want async callbacks even when a given one has nothing to await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      'no-restricted-syntax': restrictedSyntax(1, true),
    },
  },
  // Inside topology/ the sub-folders (api, runtime, state, kafka, testing) import each other's files directly, as
  // Kafka Streams' internals do; the folder boundary is topology/ itself, so only imports that leave it must go
  // through an index.ts.
  ...[2, 3].map((depth) => ({
    files: [`topology/${'*/'.repeat(depth - 1)}*.ts`],
    rules: { 'no-restricted-syntax': restrictedSyntax(depth, true) },
  })),
  // Test code throws made-up codes on purpose; the registry itself makes the errors.
  // Benchmarks drive the engine with the same kits as the tests.
  {
    files: ['**/*.test.ts', '**/testing/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-syntax': restrictedSyntax(1, false) },
  },
  ...[2, 3].map((depth) => ({
    files: [`topology/${'*/'.repeat(depth - 1)}*.test.ts`, `topology/testing/${'*/'.repeat(depth - 2)}*.ts`],
    rules: { 'no-restricted-syntax': restrictedSyntax(depth, false) },
  })),
  { files: ['topology/api/error-codes.ts'], rules: { 'no-restricted-syntax': restrictedSyntax(2, false, true) } },
  {
    files: ['topology/**/*.ts', 'processors/**/*.ts', 'connectors/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use the injected Clock/Timer (topology/api/timer.ts).' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Wait through the injected Timer (timer.after / timer.sleep).' },
        { name: 'setInterval', message: 'Wait through the injected Timer (timer.after / timer.sleep).' },
      ],
    },
  },
  {
    // journeys are deterministic (replay, test mode); connectors may jitter retries
    files: ['topology/**/*.ts', 'processors/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use the injected Clock/Timer (topology/api/timer.ts).' },
        { object: 'Math', property: 'random', message: 'Use injected randomness.' },
      ],
    },
  },
  // One broker test kit (topology/testing): the lower folders' tests and kits never reach up into ops/testing.
  {
    files: ['topology/**/*.ts', 'processors/**/*.ts', 'connectors/**/*.ts', 'schemas/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)ops/testing(/|$)',
              message: 'Use the broker test kit in topology/testing (or the HTTP endpoint in connectors/testing).',
            },
          ],
        },
      ],
    },
  },
);
