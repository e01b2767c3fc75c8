/**
 * Vitest for `npm run test:mutation` only (StrykerJS's vitest runner; `npm test` stays on jest).
 * The unit tests of the mutated modules run unchanged: `@jest/globals` is aliased to vitest,
 * whose describe/it/expect/hooks they use the same way. Measured on this repository's 2 cores,
 * Stryker's jest runner (ESM through --experimental-vm-modules) tested about 0.5 mutants a second,
 * its vitest runner about 1.5. Globs, so a test renamed or added beside these is picked up; a
 * mutated module without a test here shows up as "no coverage".
 * Key fixtures are made once per test runner process and copied after that (test/fixtures/keys).
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Under Stryker (its workers have STRYKER_MUTATOR_WORKER), in its sandbox, which it removes after
// the run and whose test runner processes it kills rather than lets exit; else removed on exit.
const keyFixtureCache =
  process.env.STRYKER_MUTATOR_WORKER === undefined
    ? join(tmpdir(), `applink-jwt-key-fixture-cache-${process.pid}`)
    : join(dirname(fileURLToPath(import.meta.url)), '.key-fixture-cache');
process.on('exit', () => rmSync(keyFixtureCache, { recursive: true, force: true }));

export default defineConfig({
  resolve: { alias: { '@jest/globals': 'vitest' } },
  test: {
    include: [
      'test/unit/salesforce/{login-url,assertion,preflight}.test.ts',
      'test/unit/applink/{hosts,target,authorization,jwt-authorization}.test.ts',
      'test/unit/keys/{load,decode,errors,certificate}.test.ts',
      'test/unit/{shown-input,error-secrets}.test.ts',
      'test/unit/**/{redact,output}*.test.ts',
      'test/unit/mutation/*.test.ts',
    ],
    environment: 'node',
    env: { APPLINK_JWT_TEST_KEY_FIXTURE_CACHE: keyFixtureCache },
    testTimeout: 30000,
  },
});
