// @ts-check
/**
 * Mutation testing (`npm run test:mutation`, never part of `npm test`): StrykerJS with its vitest
 * runner (vitest.mutation.config.mjs says why not jest's) on the modules where a surviving bug is
 * a security or honesty failure. The orb scripts (bash, which Stryker cannot mutate) are checked
 * by scripts/orb-script-mutants.ts.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.mjs' },
  coverageAnalysis: 'perTest',
  mutate: [
    // Login URL and host rules: where the assertion, the Heroku key and the add-on token may go.
    'cli/salesforce/login-url.ts',
    'cli/applink/hosts.ts',
    // The assertion.
    'cli/salesforce/assertion.ts',
    // Key loading (every form CI secrets take) and its errors.
    'cli/keys/load.ts',
    'cli/keys/decode.ts',
    // The authorization flow: create, poll, replace, clean-up, and the state each failure leaves.
    'cli/applink/jwt-authorization.ts',
    // Output redaction: tokens stripped from what is printed, secrets never quoted in messages.
    'cli/applink/authorization.ts',
    'cli/shown-input.ts',
    'cli/redact*.ts',
  ],
  // 2 shared cores: one jest worker per core at most.
  concurrency: 2,
  timeoutMS: 10000,
  ignorePatterns: ['dist', 'reports', 'coverage', '*.tgz'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0, reportMutants: true, reportScoreTable: true },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Set from the first full run (see README, Contributing); `stryker run` exits 1 below it.
  thresholds: { high: 95, low: 90, break: 90 },
};
