/**
 * The release pipeline's shape (.circleci/config.yml and test-deploy.yml): the orb-tools 12 order
 * pack -> review -> shellcheck -> dev publish / continue -> integration tests -> npm publish ->
 * production orb; the orb's own jobs run on the packed tarball against a background sandbox; and
 * everything the configs run (scripts, npm scripts) exists in the repository. The calls into
 * external orbs are checked in test/unit/orb/external-orbs.test.ts.
 */
import { access, constants, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { loadOrbInterfaces, ORB_INTERFACES_DIR } from '../../scripts/orb/external-orbs.js';
import { ROOT } from '../support/harness.js';

type Map = Record<string, unknown>;
interface Entry {
  job: string;
  name: string;
  args: Map;
}

const load = async (file: string) => YAML.parse(await readFile(join(ROOT, '.circleci', file), 'utf8')) as Map;
const config = await load('config.yml');
const testDeploy = await load('test-deploy.yml');

function workflow(document: Map, name: string): Entry[] {
  const jobs = ((document.workflows as Map)[name] as { jobs: unknown[] }).jobs;
  return jobs.map((item) => {
    const job = typeof item === 'string' ? item : Object.keys(item as Map)[0]!;
    const args = (typeof item === 'string' ? {} : ((item as Map)[job] as Map)) ?? {};
    return { job, name: typeof args.name === 'string' ? args.name : job, args };
  });
}

function entry(entries: Entry[], name: string): Entry {
  const found = entries.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no workflow job named ${name}`);
  return found;
}

/** Every job `name` needs, directly or through the jobs it requires. */
function upstream(entries: Entry[], name: string): string[] {
  const out = new Set<string>();
  const queue = [...((entry(entries, name).args.requires as string[] | undefined) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (out.has(next)) continue;
    out.add(next);
    queue.push(...((entry(entries, next).args.requires as string[] | undefined) ?? []));
  }
  return [...out].sort();
}

// The tags orb-tools/publish accepts for a production orb: its tag_pattern default, as recorded.
const RELEASE_TAG = String((await loadOrbInterfaces(join(ROOT, ORB_INTERFACES_DIR)))['circleci/orb-tools@12.4.0']!.jobs.publish!.parameters.tag_pattern!.default);
const releaseFilters = { branches: { ignore: '/.*/' }, tags: { only: `/${RELEASE_TAG}/` } };

describe('.circleci/config.yml (setup workflow)', () => {
  const lintPack = workflow(config, 'lint-pack');

  it('continues to test-deploy only after the tests, the offline validation, the tag check, pack, review and shellcheck', () => {
    expect(upstream(lintPack, 'orb-tools/continue')).toEqual(['orb-tools/pack', 'orb-tools/review', 'release_tag', 'shellcheck/check', 'test', 'validate']);
    const { args } = entry(lintPack, 'orb-tools/continue');
    expect(args.orb_name).toBe('applink');
    expect(args.config_path).toBeUndefined(); // orb-tools' default: .circleci/test-deploy.yml
    expect((testDeploy.orbs as Map).applink).toEqual({});
  });

  it('publishes a dev orb after the same checks, never for a release tag or a forked pull request', () => {
    const dev = entry(lintPack, 'publish_dev');
    expect(dev.job).toBe('orb-tools/publish');
    expect(dev.args).toMatchObject({ pub_type: 'dev', orb_name: 'applink-jwt/applink', context: 'orb-publishing' });
    expect(upstream(lintPack, 'publish_dev')).toEqual(upstream(lintPack, 'orb-tools/continue'));
    expect(dev.args.filters).toEqual({ branches: { ignore: '/^pull\\/[0-9]+$/' }, tags: { ignore: `/${RELEASE_TAG}/` } });
  });

  it('runs every other job on tag pipelines too (a tag must reach continue), and skips scheduled pipelines', () => {
    for (const job of lintPack.filter((candidate) => candidate.name !== 'publish_dev')) expect({ job: job.name, filters: job.args.filters }).toEqual({ job: job.name, filters: { tags: { only: '/.*/' } } });
    expect(((config.workflows as Map)['lint-pack'] as Map).when).toEqual({ not: { equal: ['scheduled_pipeline', '<< pipeline.trigger_source >>'] } });
  });
});

describe('.circleci/test-deploy.yml', () => {
  const deploy = workflow(testDeploy, 'test-deploy');
  const isMap = (step: unknown): step is Map => typeof step === 'object' && step !== null;
  const startSandbox = ((testDeploy.commands as Map).start_sandbox as { steps: unknown[] }).steps.filter(isMap);
  const npmPack = { steps: ((testDeploy.jobs as Map).npm_pack as { steps: unknown[] }).steps.filter(isMap) };

  it("runs the orb's own authorize and check_key jobs, installing the tarball npm_pack persisted", () => {
    const attachedAt = (startSandbox.find((step) => 'attach_workspace' in step)!.attach_workspace as Map).at;
    const persisted = npmPack.steps.find((step) => 'persist_to_workspace' in step)!.persist_to_workspace as { root: string; paths: string[] };
    expect(persisted.root).toBe('.');
    const tarball = `${attachedAt}/${persisted.paths.find((path) => path.endsWith('.tgz'))}`;
    expect(tarball).toBe('/tmp/workspace/release/applink-jwt.tgz');
    const jobs = deploy.filter((candidate) => candidate.job.startsWith('applink/'));
    expect(jobs.map((job) => [job.job, job.args.package, job.args['pre-steps'], job.args.requires])).toEqual([
      ['applink/authorize', tarball, ['start_sandbox'], ['npm_pack']],
      ['applink/check_key', tarball, ['start_sandbox'], ['npm_pack']],
    ]);
    expect(entry(deploy, 'integration_authorize').args).toMatchObject({ login_url: '$SF_LOGIN_URL' });
    expect(entry(deploy, 'integration_check_key').args).toMatchObject({ cert_file: '/tmp/sandbox-keys/server.crt' });
  });

  it('starts the sandbox of the packed CLI as a background step, after checking the sha256 npm_pack wrote', () => {
    const runs = startSandbox.filter((step) => 'run' in step).map((step) => step.run as { name: string; command: string; background?: boolean });
    expect(runs.filter((run) => run.background === true).map((run) => run.command)).toEqual([
      '/tmp/sandbox-cli/node_modules/.bin/applink-jwt sandbox --cert-file /tmp/sandbox-keys/server.crt --json > /tmp/sandbox.jsonl',
    ]);
    expect(runs[0]!.command).toBe('cd /tmp/workspace/release && sha256sum --check --strict SHA256SUMS && cat SHA256SUMS');
    expect(runs.find((run) => run.name === 'Install the packed CLI for the sandbox')!.command).toContain('/tmp/workspace/release/applink-jwt.tgz');
  });

  it('publishes npm (NPM_TOKEN from a context) after the tag check and every integration test, then the production orb', () => {
    const tests = ['command_tests', 'integration_authorize', 'integration_check_key'];
    expect(upstream(deploy, 'npm_publish')).toEqual(['npm_pack', 'release_tag', ...tests].sort());
    expect(entry(deploy, 'npm_publish').args).toMatchObject({ context: 'npm-publishing', filters: releaseFilters });
    const production = entry(deploy, 'orb-tools/publish');
    expect(production.args).toMatchObject({ pub_type: 'production', orb_name: 'applink-jwt/applink', context: 'orb-publishing', filters: releaseFilters });
    expect(upstream(deploy, 'orb-tools/publish')).toEqual(['npm_pack', 'npm_publish', 'orb-tools/pack', 'release_tag', ...tests].sort());
    expect(entry(deploy, 'orb-tools/pack').args.filters).toEqual(releaseFilters);
  });

  it('runs the tests on tag pipelines too', () => {
    for (const job of deploy.filter((candidate) => !['npm_publish', 'orb-tools/pack', 'orb-tools/publish'].includes(candidate.name))) {
      expect({ job: job.name, filters: job.args.filters }).toEqual({ job: job.name, filters: { tags: { only: '/.*/' } } });
    }
  });
});

describe('both configs', () => {
  it('pack a copy of orb/src with the CLI version pinned (what orb-tools/pack packs)', () => {
    for (const document of [config, testDeploy]) {
      const pack = entry(workflow(document, Object.keys(document.workflows as Map)[0]!), 'orb-tools/pack');
      expect(pack.args).toMatchObject({ source_dir: 'build/orb/src', checkout: false });
      expect(pack.args['pre-steps']).toEqual(['checkout', { run: { name: 'Pin the CLI version in a copy of the orb source', command: 'scripts/ci/orb-release-source.sh build/orb/src' } }]);
    }
  });

  it('run only scripts and npm scripts that exist (shell scripts executable)', async () => {
    const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const text = `${await readFile(join(ROOT, '.circleci/config.yml'), 'utf8')}\n${await readFile(join(ROOT, '.circleci/test-deploy.yml'), 'utf8')}`;
    const files = [...new Set([...text.matchAll(/(?<![\w/.-])scripts\/[\w/.-]+\.(?:sh|ts|mjs)/g)].map((match) => match[0]))].sort();
    expect(files).toEqual(['scripts/ci/npm-publish.sh', 'scripts/ci/orb-release-source.sh', 'scripts/ci/release-tarball.sh', 'scripts/ci/sandbox-env.sh', 'scripts/release-check.mjs', 'scripts/release-tag.ts']);
    expect(await readFile(join(ROOT, 'scripts/release-check.mjs'), 'utf8')).toContain("'scripts/release-tag.ts'"); // its version step
    for (const file of files) await access(join(ROOT, file), file.endsWith('.sh') ? constants.X_OK : constants.R_OK);
    const npmScripts = [...new Set([...text.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1]!))];
    expect(npmScripts.filter((name) => scripts[name] === undefined)).toEqual([]);
    expect(npmScripts).toContain('release:check');
  });
});
