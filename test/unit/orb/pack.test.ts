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

  it('inlines several includes and text around them (CircleCI does), noting what the 0.1.x CLI refused', async () => {
    const packed = await packWith({
      '@orb.yml': ORB_YML,
      'jobs/j.yml': 'steps:\n  - run: "<<include(a.sh)>> <<include(b.sh)>>"\n  - run: echo <<include(a.sh)>>\n',
      'a.sh': 'A',
      'b.sh': 'B',
    });
    expect((packed.orb.jobs as any).j.steps).toEqual([{ run: 'A B' }, { run: 'echo A' }]);
    expect(packed.includes.map((note) => [note.path.join('.'), note.message.split(':')[0]])).toEqual([
      ['jobs.j.steps.0.run', 'several <<include()>> in one value'],
      ['jobs.j.steps.1.run', 'text around an <<include()>>'],
    ]);
  });

  it('fails on a missing included file, naming it as CircleCI does', async () => {
    expect(await packError({ '@orb.yml': ORB_YML, 'commands/c.yml': 'steps:\n  - run: <<include(scripts/missing.sh)>>\n' })).toEqual({
      code: 'ERR_ORB_PACK',
      message: `could not read included file "${join(dir, 'scripts/missing.sh')}": open ${join(dir, 'scripts/missing.sh')}: no such file or directory`,
      hint: `Create ${join(dir, 'scripts/missing.sh')}, or fix the path: it is relative to the folder that holds @orb.yml.`,
    });
  });

  it('leaves an include outside commands, executors and jobs as text, and notes it', async () => {
    const packed = await packWith({ '@orb.yml': ORB_YML, 'examples/use_it.yml': 'description: <<include(scripts/a.sh)>>\nusage:\n  version: 2.1\n', 'scripts/a.sh': 'x' });
    expect((packed.orb.examples as any).use_it.description).toBe('<<include(scripts/a.sh)>>');
    expect(packed.includes.map((note) => [note.file, note.path.join('.')])).toEqual([[join(dir, 'examples/use_it.yml'), 'examples.use_it.description']]);
  });
});

describe('packOrb: the source tree', () => {
  it('packs without @orb.yml, as CircleCI does (the validator then finds no version)', async () => {
    expect((await packWith({ 'commands/c.yml': 'steps: [checkout]\n' })).orb).toEqual({ commands: { c: { steps: ['checkout'] } } });
  });

  it('fails on a file that is not a map, naming it and the type as CircleCI does; an empty file is {}', async () => {
    expect(await packError({ '@orb.yml': ORB_YML, 'commands/list.yml': '- checkout\n' })).toEqual({
      code: 'ERR_ORB_PACK',
      message: `"${join(dir, 'commands/list.yml')}" must have a YAML map at the root, got []interface {}`,
      hint: 'Every YAML file in the orb source must hold a mapping (for a command: description, parameters, steps).',
    });
    await writeFiles(dir, { 'commands/list.yml': '# nothing yet\n' });
    expect((await packOrb(dir)).orb.commands).toEqual({ list: {} });
  });

  it('flattens nested folders and notes them (the 0.1.x CLI skipped them); other root folders become keys', async () => {
    const packed = await packWith({
      '@orb.yml': ORB_YML,
      'commands/ok.yml': 'description: Ok.\nsteps: [checkout]\n',
      'commands/aws/login.yml': 'description: Nested.\nsteps: [checkout]\n',
      'tests/fixture.yml': 'a: 1\n',
      'scripts/x.sh': 'echo',
      '.hidden/c.yml': 'a: 1\n',
    });
    expect(Object.keys(packed.orb)).toEqual(['commands', 'description', 'tests', 'version']);
    expect(Object.keys(packed.orb.commands as object)).toEqual(['login', 'ok']);
    expect(packed.source.sources['commands.login']).toBe(join(dir, 'commands/aws/login.yml'));
    expect(packed.source.ignored.map((note) => [note.file, note.message])).toEqual([
      [join(dir, 'commands/aws'), 'nested folder commands/aws/ is flattened into commands by circleci orb pack; the 0.1.x CLI skips it: move its files up into commands/'],
    ]);
  });

  it('merges @-files: a folder\'s @*.yml at the folder level, @orb.yml (and root YAML) at the top, with the folder', async () => {
    const packed = await packWith({
      '@orb.yml': `${ORB_YML}commands:\n  from_root:\n    steps: [checkout]\n`,
      'commands/@more.yml': 'one:\n  steps: [checkout]\ntwo:\n  steps: [checkout]\n',
      'commands/three.yml': 'steps: [checkout]\n',
      'display.yml': 'display:\n  source_url: https://example.com/src\n',
    });
    expect(Object.keys(packed.orb.commands as object)).toEqual(['from_root', 'one', 'three', 'two']);
    expect(packed.orb.display).toEqual({ source_url: 'https://example.com/src' });
    expect(packed.source.sources['commands.one']).toBe(join(dir, 'commands/@more.yml'));
    expect(packed.source.sources['commands.three']).toBe(join(dir, 'commands/three.yml'));
  });
});

describe('packOrb: the output', () => {
  it('sorts keys at every depth in yaml.v3\'s order and keeps every key (pack drops nothing)', async () => {
    const packed = await packWith({
      '@orb.yml': 'display:\n  source_url: https://example.com\nexamples_extra: 1\norbs:\n  node: circleci/node@7.1\ndescription: D.\nversion: 2.1\n',
      'jobs/j.yml': 'steps:\n  - run:\n      name: N\n      command: C\n      environment: {STEP10: a, STEP9: b}\ndescription: J.\n',
      'examples/use_j.yml': 'usage:\n  workflows: {}\n  version: 2.1\n  commands: {}\ndescription: Use j.\nextra: kept\n',
    });
    expect(Object.keys(packed.orb)).toEqual(['description', 'display', 'examples', 'examples_extra', 'jobs', 'orbs', 'version']);
    expect(packed.yaml).toMatch(/STEP9: b\n\s+STEP10: a\n/);
    expect(Object.keys((packed.orb.examples as any).use_j)).toEqual(['description', 'extra', 'usage']);
    expect(Object.keys((packed.orb.examples as any).use_j.usage)).toEqual(['commands', 'version', 'workflows']);
  });

  it('writes YAML that reads back to the same orb, with YAML 1.1 look-alikes quoted for CircleCI', async () => {
    const packed = await packWith({
      '@orb.yml': ORB_YML,
      'commands/c.yml': 'parameters:\n  answer:\n    type: string\n    default: "yes"\n  zip:\n    type: string\n    default: "010"\n  octal:\n    type: integer\n    default: 010\nsteps:\n  - run:\n      name: Multi\n      command: |\n        echo one\n        echo two\n',
    });
    expect(YAML.parse(packed.yaml)).toEqual(packed.orb);
    expect(YAML.parse(packed.yaml, { version: '1.1' })).toEqual(packed.orb);
    expect(packed.yaml).toContain('default: "yes"');
    expect((packed.orb.commands as any).c.parameters.octal.default).toBe(8);
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

  it('reads unquoted yes/on as booleans, as CircleCI does, and notes them', async () => {
    await writeFiles(dir, { '@orb.yml': ORB_YML, 'commands/c.yml': 'parameters:\n  p:\n    type: boolean\n    default: on\n    description: "no"\nsteps: [checkout]\n' });
    const source = await readOrbSource(dir);
    expect((source.tree.commands as any).c.parameters.p.default).toBe(true);
    expect(source.ambiguousBooleans.map((note) => note.path.join('.'))).toEqual(['commands.c.parameters.p.default']);
  });
});

describe('npm run orb:pack', () => {
  it('writes dist/orb.yml: the applink orb with the package version pinned and the scripts inlined', async () => {
    const result = await execa('npm', ['run', '--silent', 'orb:pack'], { cwd: ROOT, reject: false });
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(result).toMatchObject({ exitCode: 0, stdout: `Packed orb/src into dist/orb.yml (install pins applink-jwt ${version}).`, stderr: '' });
    const orb = YAML.parse(await readFile(join(ROOT, 'dist/orb.yml'), 'utf8'));
    expect(Object.keys(orb.commands)).toEqual(['authorize', 'check_key', 'install', 'remove', 'rotate', 'sandbox', 'verify']);
    expect(Object.keys(orb.jobs)).toEqual(['authorize', 'check_key', 'rotate']);
    expect(orb.commands.install.parameters.version.default).toBe(version);
    const script = await readFile(join(ROOT, 'orb/src/scripts/authorize.sh'), 'utf8');
    expect(orb.commands.authorize.steps[0].run.command).toBe(script.replaceAll('<<', '\\<<'));
  });
});
