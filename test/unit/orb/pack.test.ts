import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import YAML from 'yaml';
import { packOrb, readOrbSource, VERSION_PLACEHOLDER } from '../../../scripts/orb/pack.js';
import { ROOT } from '../../support/harness.js';
import { scratch, writeFiles } from './fixture-orb.js';

const ORB_YML = 'version: 2.1\ndescription: A test orb.\n';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
});
afterEach(async () => {
  await cleanup();
});

async function packWith(files: Record<string, string>, options: { version?: string } = {}) {
  await writeFiles(dir, files);
  return packOrb(dir, options);
}

async function packError(files: Record<string, string>) {
  return packWith(files).then(
    () => {
      throw new Error('pack succeeded');
    },
    (error: { code: string; message: string; hint: string }) => ({ code: error.code, message: error.message, hint: error.hint }),
  );
}

describe('packOrb: includes', () => {
  it('replaces an <<include()>> value with the file, relative to the orb root, escaping every << as \\<<', async () => {
    const script = '#!/bin/bash\ncat <<EOF\nhello <<parameters.to>>\nEOF\n';
    const { orb } = await packWith({
      '@orb.yml': ORB_YML,
      'commands/greet.yml': 'description: Greets.\nsteps:\n  - run:\n      name: Greet\n      command: <<include(scripts/greet.sh)>>\n',
      'scripts/greet.sh': script,
    });
    expect(orb.commands).toEqual({
      greet: { description: 'Greets.', steps: [{ run: { command: '#!/bin/bash\ncat \\<<EOF\nhello \\<<parameters.to>>\nEOF\n', name: 'Greet' } }] },
    });
  });

  it('accepts whitespace inside the directive, as pack does (<< include(path) >>)', async () => {
    const { orb } = await packWith({
      '@orb.yml': ORB_YML,
      'executors/default.yml': 'description: Image.\ndocker:\n  - image: << include(image.txt) >>\n',
      'image.txt': 'cimg/base:current',
    });
    expect(orb.executors).toEqual({ default: { description: 'Image.', docker: [{ image: 'cimg/base:current' }] } });
  });

  it('fails on two includes in one value', async () => {
    expect(await packError({ '@orb.yml': ORB_YML, 'jobs/j.yml': 'steps:\n  - run: "<<include(a.sh)>> <<include(b.sh)>>"\n' })).toEqual({
      code: 'ERR_ORB_PACK',
      message: "multiple include statements: '<<include(a.sh)>> <<include(b.sh)>>'",
      hint: 'Use one <<include(file)>> per value: split the step, or join the scripts into one file.',
    });
  });

  it('fails on an include that is not the whole value', async () => {
    expect(await packError({ '@orb.yml': ORB_YML, 'commands/c.yml': 'steps:\n  - run: echo <<include(scripts/a.sh)>>\n', 'scripts/a.sh': 'x' })).toEqual({
      code: 'ERR_ORB_PACK',
      message: "entire string must be include statement: 'echo <<include(scripts/a.sh)>>'",
      hint: 'An <<include(file)>> must be the whole value (for example `command: <<include(scripts/x.sh)>>`); move the surrounding text into the included file.',
    });
  });

  it('fails on a missing included file, naming it', async () => {
    expect(await packError({ '@orb.yml': ORB_YML, 'commands/c.yml': 'steps:\n  - run: <<include(scripts/missing.sh)>>\n' })).toEqual({
      code: 'ERR_ORB_PACK',
      message: `could not open ${join(dir, 'scripts/missing.sh')} for inclusion`,
      hint: `Create ${join(dir, 'scripts/missing.sh')}, or fix the path: it is relative to the folder that holds @orb.yml.`,
    });
  });

  it('fails on an include in the wrong place (examples and the orb description are never expanded)', async () => {
    expect(
      await packError({ '@orb.yml': ORB_YML, 'examples/use_it.yml': 'description: <<include(scripts/a.sh)>>\nusage:\n  version: 2.1\n', 'scripts/a.sh': 'x' }),
    ).toEqual({
      code: 'ERR_ORB_PACK',
      message: `${join(dir, 'examples/use_it.yml')}: <<include()>> at examples.use_it.description is not expanded: pack resolves includes only in commands, executors and jobs`,
      hint: 'Inline the text there, or move the step into a command and call it.',
    });
    expect(await packError({ '@orb.yml': 'version: 2.1\ndescription: <<include(d.txt)>>\n', 'd.txt': 'x' })).toMatchObject({
      message: `${join(dir, '@orb.yml')}: <<include()>> at description is not expanded: pack resolves includes only in commands, executors and jobs`,
    });
  });
});

describe('packOrb: the source tree', () => {
  it('fails without @orb.yml', async () => {
    expect(await packError({ 'commands/c.yml': 'steps: [checkout]\n' })).toEqual({
      code: 'ERR_ORB_PACK',
      message: '@orb.yml file not found, are you sure this is the Orb root?',
      hint: `Point the packer at the folder that holds @orb.yml (here: ${dir}).`,
    });
  });

  it('fails on a file that is not a map, naming it and the type as the CLI does', async () => {
    expect(await packError({ '@orb.yml': ORB_YML, 'commands/list.yml': '- checkout\n' })).toEqual({
      code: 'ERR_ORB_PACK',
      message: `${join(dir, 'commands/list.yml')}: expected a map, got a \`[]interface {}\``,
      hint: 'Every YAML file in the orb source must hold a mapping (for a command: description, parameters, steps).',
    });
    await writeFiles(dir, { 'commands/list.yml': 'just text\n' });
    await expect(packOrb(dir)).rejects.toMatchObject({ message: `${join(dir, 'commands/list.yml')}: expected a map, got a \`string\`` });
    await writeFiles(dir, { 'commands/list.yml': '' });
    await expect(packOrb(dir)).rejects.toMatchObject({ message: `${join(dir, 'commands/list.yml')}: expected a map, got a \`<nil>\`` });
  });

  it('ignores nested folders and YAML outside the four folders, and reports them', async () => {
    const packed = await packWith({
      '@orb.yml': ORB_YML,
      'commands/ok.yml': 'description: Ok.\nsteps: [checkout]\n',
      'commands/aws/login.yml': 'description: Nested.\nsteps: [checkout]\n',
      'tests/fixture.yml': 'a: 1\n',
      'scripts/x.sh': 'echo',
      '.hidden/c.yml': 'a: 1\n',
    });
    expect(Object.keys(packed.orb)).toEqual(['version', 'description', 'commands']);
    expect(packed.orb.commands).toEqual({ ok: { description: 'Ok.', steps: ['checkout'] } });
    expect(packed.source.ignored.map((note) => [note.file, note.message])).toEqual([
      [join(dir, 'commands/aws'), 'nested folder commands/aws/ is skipped by circleci orb pack 0.1.x; move its files up into commands/'],
      [join(dir, 'tests/fixture.yml'), 'YAML outside commands/, executors/, jobs/ and examples/ is not packed'],
    ]);
  });

  it('merges @-files: a folder\'s @*.yml at the folder level, @orb.yml (and root YAML) at the top, shallowly', async () => {
    const packed = await packWith({
      '@orb.yml': `${ORB_YML}commands:\n  from_root:\n    steps: [checkout]\n`,
      'commands/@more.yml': 'one:\n  steps: [checkout]\ntwo:\n  steps: [checkout]\n',
      'commands/three.yml': 'steps: [checkout]\n',
      'display.yml': 'display:\n  source_url: https://example.com/src\n',
    });
    expect(Object.keys(packed.orb.commands as object)).toEqual(['one', 'three', 'two']);
    expect(packed.source.ignored.map((note) => note.message)).toEqual(['"commands" in the root file is replaced by the commands/ folder; move those components into commands/']);
    expect(packed.orb.display).toEqual({ source_url: 'https://example.com/src' });
    expect(packed.source.sources['commands.one']).toBe(join(dir, 'commands/@more.yml'));
    expect(packed.source.sources['commands.three']).toBe(join(dir, 'commands/three.yml'));
  });
});

describe('packOrb: the output', () => {
  it('writes the top-level keys in pack\'s fixed order, drops unknown ones, and sorts component keys', async () => {
    const packed = await packWith({
      '@orb.yml': 'display:\n  source_url: https://example.com\nexamples_extra: 1\norbs:\n  node: circleci/node@7.1\ndescription: D.\nversion: "2.1"\n',
      'jobs/j.yml': 'steps:\n  - run:\n      name: N\n      command: C\ndescription: J.\n',
      'executors/e.yml': 'docker:\n  - image: x\n',
      'commands/c.yml': 'steps: [checkout]\n',
      'examples/use_j.yml': 'usage:\n  workflows: {}\n  version: 2.1\n  orbs: {}\ndescription: Use j.\nextra: dropped\n',
    });
    expect(Object.keys(packed.orb)).toEqual(['version', 'description', 'display', 'orbs', 'commands', 'executors', 'jobs', 'examples']);
    expect(packed.orb.version).toBe(2.1);
    expect(packed.yaml.split('\n').filter((line) => /^\S/.test(line))).toEqual([
      'version: 2.1', 'description: D.', 'display:', 'orbs:', 'commands:', 'executors:', 'jobs:', 'examples:',
    ]);
    expect(Object.keys((packed.orb.jobs as any).j)).toEqual(['description', 'steps']);
    expect(Object.keys((packed.orb.jobs as any).j.steps[0].run)).toEqual(['command', 'name']);
    expect(Object.keys((packed.orb.examples as any).use_j)).toEqual(['description', 'usage']);
    expect(Object.keys((packed.orb.examples as any).use_j.usage)).toEqual(['version', 'orbs', 'workflows']);
    expect(packed.dropped.map((note) => note.message)).toEqual([
      'example key "extra" is dropped by pack (kept: description, usage, result)',
      'top-level key "examples_extra" is dropped by pack (kept: version, description, display, orbs, commands, executors, jobs, examples)',
    ]);
  });

  it('drops the keys of an example usage that pack does not keep (commands, executors, parameters)', async () => {
    const packed = await packWith({
      '@orb.yml': ORB_YML,
      'examples/with_commands.yml': 'description: X.\nusage:\n  version: 2.1\n  commands:\n    c:\n      steps: [checkout]\n  parameters: {}\n  workflows: {}\n',
    });
    expect((packed.orb.examples as any).with_commands.usage).toEqual({ version: 2.1, workflows: {} });
    expect(packed.dropped.map((note) => note.path.join('.'))).toEqual(['examples.with_commands.usage.commands', 'examples.with_commands.usage.parameters']);
  });

  it('writes YAML that reads back to the same orb, with YAML 1.1 look-alikes quoted for CircleCI', async () => {
    const packed = await packWith({
      '@orb.yml': ORB_YML,
      'commands/c.yml': 'parameters:\n  answer:\n    type: string\n    default: "yes"\n  zip:\n    type: string\n    default: "010"\nsteps:\n  - run:\n      name: Multi\n      command: |\n        echo one\n        echo two\n',
    });
    expect(YAML.parse(packed.yaml)).toEqual(packed.orb);
    expect(YAML.parse(packed.yaml, { version: '1.1' })).toEqual(packed.orb);
    expect(packed.yaml).toContain('default: "yes"');
    expect(packed.yaml).toMatch(/ command: \|\n( +)echo one\n\1echo two\n/);
  });

  it(`replaces ${VERSION_PLACEHOLDER} with the version given, everywhere`, async () => {
    const files = { '@orb.yml': ORB_YML, 'commands/install.yml': `parameters:\n  version:\n    type: string\n    default: "${VERSION_PLACEHOLDER}"\nsteps:\n  - run:\n      name: Install ${VERSION_PLACEHOLDER}\n      command: echo\n` };
    const packed = await packWith(files, { version: '1.2.3' });
    expect(packed.yaml).not.toContain(VERSION_PLACEHOLDER);
    expect((packed.orb.commands as any).install.parameters.version.default).toBe('1.2.3');
    expect((packed.orb.commands as any).install.steps[0].run.name).toBe('Install 1.2.3');
    expect((await packOrb(dir)).yaml).toContain(VERSION_PLACEHOLDER);
  });

  it('flags unquoted YAML 1.1 booleans in the source', async () => {
    await writeFiles(dir, { '@orb.yml': ORB_YML, 'commands/c.yml': 'parameters:\n  p:\n    type: string\n    default: on\n    description: "no"\nsteps: [checkout]\n' });
    expect((await readOrbSource(dir)).ambiguousBooleans.map((note) => note.path.join('.'))).toEqual(['commands.c.parameters.p.default']);
  });
});

describe('npm run orb:pack', () => {
  it('writes dist/orb.yml: the applink orb with the package version pinned and the scripts inlined', async () => {
    const result = await execa('npm', ['run', '--silent', 'orb:pack'], { cwd: ROOT, reject: false });
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(result).toMatchObject({ exitCode: 0, stdout: `Packed orb/src into dist/orb.yml (install pins applink-jwt ${version}).`, stderr: '' });
    const orb = YAML.parse(await readFile(join(ROOT, 'dist/orb.yml'), 'utf8'));
    expect(Object.keys(orb.commands)).toEqual(['authorize', 'check_key', 'install', 'remove', 'sandbox', 'verify']);
    expect(Object.keys(orb.jobs)).toEqual(['authorize', 'check_key']);
    expect(orb.commands.install.parameters.version.default).toBe(version);
    const script = await readFile(join(ROOT, 'orb/src/scripts/authorize.sh'), 'utf8');
    expect(orb.commands.authorize.steps[0].run.command).toBe(script.replaceAll('<<', '\\<<'));
  });
});
