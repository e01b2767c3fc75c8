/**
 * The mutation check's wiring: Stryker's scope names files that exist (a moved module would
 * otherwise leave the check silently smaller), the break threshold is at least 90%, it is not
 * part of `npm test`, and CircleCI runs it only on its schedule.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { ROOT } from '../support/harness.js';

const stryker = ((await import(pathToFileURL(join(ROOT, 'stryker.config.mjs')).href)) as { default: { mutate: string[]; thresholds: { break: number } } }).default;
const scripts = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('mutation testing', () => {
  it('mutates files that exist (an entry with * may match nothing yet)', async () => {
    const missing: string[] = [];
    for (const entry of stryker.mutate.filter((pattern) => !pattern.includes('*'))) {
      await access(join(ROOT, entry)).catch(() => missing.push(entry));
    }
    expect(missing).toEqual([]);
  });

  it('fails below a break threshold of at least 90%, and is not part of npm test', () => {
    expect(stryker.thresholds.break).toBeGreaterThanOrEqual(90);
    expect(scripts['test:mutation']).toContain('test:mutation:ts');
    expect(scripts['test:mutation']).toContain('test:mutation:orb');
    expect(`${scripts.pretest} ${scripts.test}`).not.toMatch(/stryker|mutation/);
  });

  it('runs in CircleCI only in the scheduled mutation_testing pipeline, keeping the reports', async () => {
    const config = YAML.parse(await readFile(join(ROOT, '.circleci/config.yml'), 'utf8')) as Record<string, any>;
    expect(config.workflows['mutation-testing']).toEqual({
      when: { and: [{ equal: ['scheduled_pipeline', '<< pipeline.trigger_source >>'] }, { equal: ['mutation_testing', '<< pipeline.schedule.name >>'] }] },
      jobs: ['mutation'],
    });
    const steps = config.jobs.mutation.steps as Array<Record<string, any>>;
    expect(steps.filter((step) => step.run).map((step) => step.run.command).at(-1)).toBe('npm run test:mutation');
    expect(steps.at(-1)).toEqual({ store_artifacts: { path: 'reports/mutation', destination: 'mutation' } });
    const others = Object.entries(config.workflows as Record<string, any>).filter(([name]) => name !== 'mutation-testing');
    expect(others.map(([, workflow]) => JSON.stringify(workflow)).filter((text) => text.includes('"mutation"'))).toEqual([]);
  });
});
