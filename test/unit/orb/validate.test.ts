import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { validateConfigFile, validateOrbSource } from '../../../scripts/orb/validate.js';
import { formatPath } from '../../../scripts/orb/tree.js';
import type { Finding } from '../../../scripts/orb/finding.js';
import { loadOrbInterfaces, ORB_INTERFACES_DIR } from '../../../scripts/orb/external-orbs.js';
import { ROOT } from '../../support/harness.js';
import { invalidFixtures, materialize, scratch, SCHEMA_PATH, VALID_SOURCE, writeFiles } from './fixture-orb.js';

const fixtures = await invalidFixtures();
const greeting = { schemaPath: SCHEMA_PATH, orbName: 'greeting', releaseTag: 'v1.2.0' };

function relativeFindings(findings: Finding[], root: string) {
  return findings.map((finding) => ({ rule: finding.rule, file: relative(root, finding.file), path: formatPath(finding.path), message: finding.message }));
}

describe('validateOrbSource on the fixture orbs', () => {
  it('finds nothing in the valid fixture orb', async () => {
    expect(await validateOrbSource(VALID_SOURCE, greeting)).toMatchObject({ findings: [], notes: [] });
  });

  it('has a failing fixture for every semantic check and every review rule', () => {
    const rules = new Set(fixtures.flatMap((fixture) => fixture.findings.map((finding) => finding.rule)));
    const expected = [
      'schema', 'enum-default', 'env-var-default', 'parameter-default-type', 'undeclared-parameter', 'unknown-component',
      'unknown-argument', 'missing-argument', 'unknown-top-level-key', 'example-usage-key', 'yaml-boolean', 'ignored-source', 'include-form',
      // RC004 never fails upstream and RC006/RC007 need the network: their fixtures are below and in
      // the loopback test; example-name and url-syntax are the project's stricter checks.
      'example-name', 'url-syntax',
      ...['RC001', 'RC002', 'RC003', 'RC005', 'RC008', 'RC009', 'RC010', 'RC011', 'RC012'],
    ];
    expect([...rules].sort()).toEqual(expected.sort());
  });

  it.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('%s: reports exactly the expected findings', async (_name, fixture) => {
    const { dir, cleanup } = await scratch();
    try {
      const root = await materialize(fixture, dir);
      const report = await validateOrbSource(root, greeting);
      expect(relativeFindings(report.findings, root)).toEqual(fixture.findings);
    } finally {
      await cleanup();
    }
  });
});

describe('validateOrbSource options', () => {
  it('runs RC011 only for a release tag', async () => {
    const fixture = fixtures.find((candidate) => candidate.name === 'rc011-example-major')!;
    const { dir, cleanup } = await scratch();
    try {
      const root = await materialize(fixture, dir);
      expect((await validateOrbSource(root, { schemaPath: SCHEMA_PATH, orbName: 'greeting' })).findings).toEqual([]);
      expect((await validateOrbSource(root, { ...greeting, releaseTag: 'v2.0.0' })).findings).toEqual([]);
      expect((await validateOrbSource(root, { ...greeting, releaseTag: 'main' })).findings).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('counts RC005 and RC009 without the trailing newline of block text, as orb-tools does', async () => {
    const { dir, cleanup } = await scratch();
    try {
      const description = (text: string) => ({ patch: { '@orb.yml': [{ path: ['description'], value: text }] } });
      const long64 = await materialize(description(`${'x'.repeat(64)}\n`), join(dir, 'a'));
      expect((await validateOrbSource(long64, greeting)).findings).toEqual([]);
      const command = (text: string) => ({ patch: { 'commands/greet.yml': [{ path: ['steps', 1], value: { run: { name: 'Long', command: text } } }] } });
      const block64 = await materialize(command(`${'e'.repeat(64)}\n`), join(dir, 'b'));
      expect((await validateOrbSource(block64, greeting)).findings).toEqual([]);
      const block65 = await materialize(command(`${'e'.repeat(65)}\n`), join(dir, 'c'));
      expect((await validateOrbSource(block65, greeting)).findings.map((finding) => [finding.rule, finding.message])).toEqual([
        ['RC009', 'inline command is 65 characters (more than 64); move it to scripts/ and use <<include(scripts/<file>.sh)>>'],
      ]);
    } finally {
      await cleanup();
    }
  });

  it('runs RC006/RC007 as orb-tools does (the URL answers 200) when given the network, here a loopback server', async () => {
    const server = createServer((request, response) => response.writeHead(request.url === '/home' ? 200 : 404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { dir, cleanup } = await scratch();
    try {
      const root = await materialize({ patch: { '@orb.yml': [{ path: ['display'], value: { source_url: `${base}/gone`, home_url: `${base}/home` } }] } }, dir);
      const urlStatus = async (url: string) => (await fetch(url, { redirect: 'follow' })).status;
      expect(relativeFindings((await validateOrbSource(root, { ...greeting, urlStatus })).findings, root)).toEqual([
        { rule: 'RC006', file: '@orb.yml', path: 'display.source_url', message: `source_url "${base}/gone" is not reachable (HTTP 404, expected 200)` },
      ]);
      expect((await validateOrbSource(root, greeting)).findings).toEqual([]);
    } finally {
      await cleanup();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('never reports RC004 (a no-op upstream), and RC012 as orb-tools matches it (the name in a value whose path ends in key)', async () => {
    const { dir, cleanup } = await scratch();
    try {
      const root = await materialize({ patch: { 'commands/greet.yml': [{ path: ['steps', 1], value: { save_cache: { name: 'Cache', key: 'v1-{{ checksum "to.lock" }}', paths: ['x'] } } }] } }, dir);
      expect(relativeFindings((await validateOrbSource(root, greeting)).findings, root).map((finding) => [finding.rule, finding.path])).toEqual([
        ['RC012', 'commands.greet.steps[1].save_cache.key'],
      ]);
    } finally {
      await cleanup();
    }
  });

  it('skips excluded review rules', async () => {
    const fixture = fixtures.find((candidate) => candidate.name === 'rc008-rc009-string-run')!;
    const { dir, cleanup } = await scratch();
    try {
      const root = await materialize(fixture, dir);
      const report = await validateOrbSource(root, { ...greeting, exclude: ['RC008'] });
      expect(report.findings.map((finding) => finding.rule)).toEqual(['RC009']);
    } finally {
      await cleanup();
    }
  });

  it('reports a missing schema as a finding, and skips the layer only on request, saying so', async () => {
    const fixture = fixtures.find((candidate) => candidate.name === 'enum-default')!;
    const { dir, cleanup } = await scratch();
    try {
      const root = await materialize({ ...fixture, patch: { ...fixture.patch, '@orb.yml': [{ path: ['description'], value: 'Too short.' }] } }, dir);
      const missing = join(dir, 'schema.json');
      const absent = await validateOrbSource(root, { ...greeting, schemaPath: missing });
      expect(absent.notes).toEqual([]);
      expect(absent.findings.map((finding) => [finding.rule, finding.file])).toEqual([['schema-missing', missing], ['enum-default', join(root, 'commands/greet.yml')], ['RC005', join(root, '@orb.yml')]]);
      const skipped = await validateOrbSource(root, { ...greeting, schemaPath: missing, skipSchema: true });
      expect(skipped.notes).toEqual(["CircleCI's schema was skipped on request (--skip-schema): only the semantic checks and review rules ran."]);
      expect(skipped.findings.map((finding) => finding.rule)).toEqual(['enum-default', 'RC005']);
      expect((await validateConfigFile(join(ROOT, '.circleci/config.yml'), { schemaPath: missing })).findings.map((finding) => finding.rule)).toEqual(['schema-missing']);
    } finally {
      await cleanup();
    }
  });

  it('accepts a parameter placeholder in a typed field but not a wrong literal there', async () => {
    const { dir, cleanup } = await scratch();
    try {
      const step = (timeout: string) => ({ run: { name: 'Wait', command: 'sleep 1', no_output_timeout: timeout } });
      const withPlaceholder = await materialize({ patch: { 'commands/greet.yml': [{ path: ['parameters', 'wait'], value: { type: 'string', default: '5m', description: 'How long.' } }, { path: ['steps', 1], value: step('<< parameters.wait >>') }] } }, join(dir, 'a'));
      expect((await validateOrbSource(withPlaceholder, greeting)).findings).toEqual([]);
      const withLiteral = await materialize({ patch: { 'commands/greet.yml': [{ path: ['steps', 1], value: step('soon') }] } }, join(dir, 'b'));
      expect(relativeFindings((await validateOrbSource(withLiteral, greeting)).findings, withLiteral)).toEqual([
        { rule: 'schema', file: 'commands/greet.yml', path: 'commands.greet.steps[1].run.no_output_timeout', message: 'must match pattern "\\d+(\\.\\d+)?[mhs]" (schema)' },
      ]);
    } finally {
      await cleanup();
    }
  });

  it('reports a pack error as a finding', async () => {
    const { dir, cleanup } = await scratch();
    try {
      const root = await materialize({ write: { 'commands/broken.yml': '- not\n- a map\n' } }, dir);
      expect((await validateOrbSource(root, greeting)).findings).toEqual([
        { rule: 'pack', file: root, path: [], message: `"${join(root, 'commands/broken.yml')}" must have a YAML map at the root, got []interface {}` },
      ]);
    } finally {
      await cleanup();
    }
  });
});

describe('the applink orb and this repository\'s CircleCI config', () => {
  const pkg = async () => JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };

  it('orb/src validates clean (schema, semantic checks, RC001-RC012 with the release tag)', async () => {
    const { version } = await pkg();
    const report = await validateOrbSource(join(ROOT, 'orb/src'), { schemaPath: SCHEMA_PATH, orbName: 'applink', releaseTag: `v${version}`, version });
    expect(report.notes).toEqual([]);
    expect(report.findings).toEqual([]);
  });

  it('.circleci/config.yml and .circleci/test-deploy.yml (with the packed orb injected) validate clean', async () => {
    const { version } = await pkg();
    const orb = await validateOrbSource(join(ROOT, 'orb/src'), { schemaPath: SCHEMA_PATH, version });
    const orbInterfaces = await loadOrbInterfaces(join(ROOT, ORB_INTERFACES_DIR));
    expect(await validateConfigFile(join(ROOT, '.circleci/config.yml'), { schemaPath: SCHEMA_PATH, orbInterfaces })).toEqual({ findings: [], notes: [] });
    expect(await validateConfigFile(join(ROOT, '.circleci/test-deploy.yml'), { schemaPath: SCHEMA_PATH, orbInterfaces, inlineOrbs: { applink: orb.packed!.orb } })).toEqual({ findings: [], notes: [] });
  });

  it('catches a test-deploy job that calls a command the packed orb lacks, with a wrong argument', async () => {
    const orb = await validateOrbSource(join(ROOT, 'orb/src'), { schemaPath: SCHEMA_PATH });
    const { dir, cleanup } = await scratch();
    try {
      const text = (await readFile(join(ROOT, '.circleci/test-deploy.yml'), 'utf8'))
        .replace('      - applink/verify:\n          login_url: $SF_LOGIN_URL\n', '      - applink/setup\n')
        .replace('          developer_name: ci_commands\n          login_url', '          developer_name: ci_commands\n          login: x\n          login_url');
      await writeFiles(dir, { 'test-deploy.yml': text });
      const report = await validateConfigFile(join(dir, 'test-deploy.yml'), { schemaPath: SCHEMA_PATH, inlineOrbs: { applink: orb.packed!.orb } });
      expect(report.findings.map((finding) => `${finding.rule} ${formatPath(finding.path)}: ${finding.message}`)).toEqual([
        'unknown-component jobs.command_tests.steps[2]: step "applink/setup": the orb imported as "applink" has no command "setup"',
        'unknown-argument jobs.command_tests.steps[3].applink/authorize.login: command "applink/authorize" has no parameter "login" (it has: addon, alias, app, client_id, developer_name, heroku_api_key, if_exists, jwt_private_key, login_url, preflight, replace, timeout, type, username, when)',
      ]);
    } finally {
      await cleanup();
    }
  });

  it('npm run orb:validate passes on this repository, and fails naming the file and path of a finding', async () => {
    const ok = await execa('npm', ['run', '--silent', 'orb:validate'], { cwd: ROOT, reject: false });
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.split('\n')).toEqual([
      'not run: RC006/RC007 (orb-tools/review fetches display.source_url and home_url and wants HTTP 200; that needs the network, so only the pipeline runs them; offline, url-syntax checks the URLs\' form)',
      'not run: RC011 (as in orb-tools, only on a vX.Y.Z release tag: CIRCLE_TAG)',
      'orb/src, .circleci/config.yml and .circleci/test-deploy.yml are valid.',
    ]);
    // A clone without the vendored schema: never "valid"; --skip-schema passes but says what was skipped.
    const absent = await execa('npm', ['run', '--silent', 'orb:validate'], { cwd: ROOT, reject: false, env: { CIRCLECI_SCHEMA_PATH: '/nonexistent/schema.json' } });
    expect(absent.exitCode).toBe(1);
    expect(absent.stdout.split('\n')).toEqual([
      "/nonexistent/schema.json: (root): CircleCI's schema was not found, so the schema checks could not run. Restore third_party/circleci-config-schema/schema.json (git checkout), or pass --skip-schema to run only the other layers [schema-missing]",
      'not run: RC006/RC007 (orb-tools/review fetches display.source_url and home_url and wants HTTP 200; that needs the network, so only the pipeline runs them; offline, url-syntax checks the URLs\' form)',
      'not run: RC011 (as in orb-tools, only on a vX.Y.Z release tag: CIRCLE_TAG)',
      '1 finding(s).',
    ]);
    const skipped = await execa('npm', ['run', '--silent', 'orb:validate', '--', '--skip-schema'], { cwd: ROOT, reject: false, env: { CIRCLECI_SCHEMA_PATH: '/nonexistent/schema.json' } });
    expect(skipped.exitCode).toBe(0);
    expect(skipped.stdout.split('\n')).toEqual([
      "note: CircleCI's schema was skipped on request (--skip-schema): only the semantic checks and review rules ran.",
      'not run: RC006/RC007 (orb-tools/review fetches display.source_url and home_url and wants HTTP 200; that needs the network, so only the pipeline runs them; offline, url-syntax checks the URLs\' form)',
      'not run: RC011 (as in orb-tools, only on a vX.Y.Z release tag: CIRCLE_TAG)',
      'orb/src, .circleci/config.yml and .circleci/test-deploy.yml pass the semantic checks and review rules; the schema checks were SKIPPED (--skip-schema), so this is not a full validation.',
    ]);
    const tagged = await execa('npm', ['run', '--silent', 'orb:validate'], { cwd: ROOT, reject: false, env: { CIRCLE_TAG: 'v7.0.0' } });
    expect(tagged.exitCode).toBe(1);
    expect(tagged.stdout.split('\n')).toContain(
      'orb/src/examples/authorize_data_cloud.yml: examples.authorize_data_cloud.usage.orbs.applink: example "authorize_data_cloud" uses applink-jwt/applink@0.1, but the release v7.0.0 is major version 7; update the example to @7.x [RC011]',
    );
    expect(tagged.stdout.split('\n').slice(-2)).toEqual([
      'not run: RC006/RC007 (orb-tools/review fetches display.source_url and home_url and wants HTTP 200; that needs the network, so only the pipeline runs them; offline, url-syntax checks the URLs\' form)',
      '10 finding(s).',
    ]);
  }, 120_000);
});
