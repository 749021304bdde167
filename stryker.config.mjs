// Mutation testing of the reference gateway (`npm run mutation`, not part of `npm test`): StrykerJS
// mutates packages/server/src and runs the conformance suite against the in-process gateway built
// from those sources (packages/conformance/vitest.mutation.config.ts) for every mutant. A mutant the
// suite does not catch "survives". Scope a run with --mutate (one run of all of src takes hours on
// two cores); results are kept in reports/mutation/ for incremental reruns. Scores: docs/mutation.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'packages/conformance/vitest.mutation.config.ts', dir: 'packages/conformance', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: ['packages/server/src/resume/*.ts', 'packages/server/src/runs/idempotency.ts', 'packages/server/src/delivery/mirror-policy.ts', '!**/index.ts'],
  coverageAnalysis: 'off',
  concurrency: 2,
  timeoutMS: 60_000,
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { reportScoreTable: true, allowEmojis: false, logTests: false },
  tempDirName: 'reports/mutation/tmp',
  cleanTempDir: true,
};
