/**
 * The check of calls into external orbs against their recorded interfaces: a failing fixture per
 * kind of mistake (test/fixtures/circleci/invalid/), the recorded data itself, and this
 * repository's own .circleci/*.yml.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { checkExternalOrbCalls, interfaceFileName, loadOrbInterfaces, ORB_INTERFACES_DIR, type OrbInterfaces } from '../../../scripts/orb/external-orbs.js';
import { formatPath } from '../../../scripts/orb/tree.js';
import { ROOT } from '../../support/harness.js';

const interfaces: OrbInterfaces = await loadOrbInterfaces(join(ROOT, ORB_INTERFACES_DIR));
const FIXTURES = join(ROOT, 'test/fixtures/circleci/invalid');

interface ConfigFixture {
  name: string;
  description: string;
  config: Record<string, unknown>;
  findings: Array<{ rule: string; path: string; message: string }>;
}

const fixtures: ConfigFixture[] = await Promise.all(
  (await readdir(FIXTURES))
    .filter((file) => file.endsWith('.yml'))
    .sort()
    .map(async (file) => ({ name: file.replace(/\.yml$/, ''), ...(YAML.parse(await readFile(join(FIXTURES, file), 'utf8')) as Omit<ConfigFixture, 'name'>) })),
);

const check = (config: Record<string, unknown>) =>
  checkExternalOrbCalls(config, 'config.yml', interfaces).map((finding) => ({ rule: finding.rule, path: formatPath(finding.path), message: finding.message }));

describe('checkExternalOrbCalls', () => {
  it.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('%s: reports exactly the expected findings', (_name, fixture) => {
    expect(fixture.findings.length).toBeGreaterThan(0);
    expect(check(fixture.config)).toEqual(fixture.findings);
  });

  it('has a failing fixture for every rule it applies', () => {
    const rules = new Set(fixtures.flatMap((fixture) => fixture.findings.map((finding) => finding.rule)));
    expect([...rules].sort()).toEqual(['external-orb-argument', 'external-orb-component', 'external-orb-pin', 'external-orb-value', 'workspace']);
  });

  it("passes the fixture's layout once the job persists what orb-tools/pack persists", () => {
    const fixture = fixtures.find((candidate) => candidate.name === 'workspace-layout')!;
    const config = structuredClone(fixture.config) as { jobs: { pack: { steps: Array<Record<string, unknown>> } } };
    config.jobs.pack.steps[2] = { persist_to_workspace: { root: 'dist', paths: ['orb_source.tar.gz'] } };
    expect(check(config as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('finds nothing in .circleci/config.yml and .circleci/test-deploy.yml', async () => {
    for (const file of ['.circleci/config.yml', '.circleci/test-deploy.yml']) {
      const config = YAML.parse(await readFile(join(ROOT, file), 'utf8')) as Record<string, unknown>;
      expect({ file, findings: check(config) }).toEqual({ file, findings: [] });
    }
  });
});

describe('the recorded interfaces (third_party/circleci-orb-interfaces)', () => {
  const records = Object.values(interfaces);

  it('records every external orb that .circleci/*.yml imports, at the exact version it pins', async () => {
    const pinned = new Set<string>();
    for (const file of ['.circleci/config.yml', '.circleci/test-deploy.yml']) {
      const { orbs } = YAML.parse(await readFile(join(ROOT, file), 'utf8')) as { orbs: Record<string, unknown> };
      for (const ref of Object.values(orbs)) if (typeof ref === 'string') pinned.add(ref);
    }
    expect([...pinned].sort()).toEqual(Object.keys(interfaces).sort());
  });

  it.each(records.map((record) => [`${record.orb}@${record.version}`, record] as const))('%s names its source (repository, tag, commit, license, file hashes) and is consistent', (_ref, record) => {
    expect(record.source).toMatchObject({ repository: expect.stringMatching(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/), tag: `v${record.version}`, license: 'MIT' });
    expect(record.source.commit).toMatch(/^[0-9a-f]{40}$/);
    const files = Object.entries(record.source.files);
    expect(files.map(([path]) => path).sort()).toEqual(
      (['commands', 'executors', 'jobs'] as const).flatMap((kind) => Object.keys(record[kind]).map((name) => `src/${kind}/${name}.yml`)).sort(),
    );
    for (const [, sha256] of files) expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const kind of ['commands', 'executors', 'jobs'] as const) {
      for (const component of Object.values(record[kind])) {
        for (const spec of Object.values(component.parameters)) {
          expect(['string', 'boolean', 'integer', 'enum', 'executor', 'steps', 'env_var_name']).toContain(spec.type);
          expect(spec.required).toBe(spec.default === undefined);
          if (spec.type === 'enum') expect(spec.enum).toContain(spec.default ?? spec.enum![0]);
        }
      }
    }
  });

  it('has a README naming each recorded file with its source and license', async () => {
    const readme = await readFile(join(ROOT, ORB_INTERFACES_DIR, 'README.md'), 'utf8');
    for (const record of records) {
      expect(readme).toContain(interfaceFileName(`${record.orb}@${record.version}`));
      expect(readme).toContain(record.source.commit);
      expect(readme).toContain(record.source.repository);
    }
  });
});
