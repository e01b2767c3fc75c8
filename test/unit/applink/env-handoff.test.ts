/** The export lines `authorize --append-env` writes: read back by a real bash, hostile values included. */
import { mkdtemp, mkdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { appendHandoff, checkAppendable, handoffLines, shellQuote } from '../../../cli/applink/env-handoff.js';
import { AppError } from '../../../cli/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'applink-handoff-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** What a later step sees: bash sources the file as CircleCI's steps source BASH_ENV. */
async function seenByBash(file: string, names: string[]): Promise<string[]> {
  const script = `. ${shellQuote(file)}; ${names.map((name) => `printf '%s\\n' "\${${name}-UNSET}"`).join('; ')}`;
  const result = await execa('bash', ['--norc', '--noprofile', '-c', script], { cwd: dir, env: { PATH: process.env.PATH }, extendEnv: false });
  return result.stdout.split('\n');
}

describe('handoffLines', () => {
  it('writes export lines bash reads back literally, $, backquotes and quotes included', async () => {
    const alias = `it's:$(touch\${IFS}pwned)\`id\`$HOME"`;
    const handoff = handoffLines({ APPLINK_DEVELOPER_NAME: 'prod_org', APPLINK_ALIAS: alias, APPLINK_ORG_ID: '00DSB00000000012AA', APPLINK_INSTANCE_URL: 'https://acme.my.salesforce.com' });
    expect(handoff.written).toEqual(['APPLINK_DEVELOPER_NAME', 'APPLINK_ALIAS', 'APPLINK_ORG_ID', 'APPLINK_INSTANCE_URL']);
    expect(handoff.text.split('\n')[0]).toBe("export APPLINK_DEVELOPER_NAME='prod_org'");
    const file = join(dir, 'literal.env');
    await writeFile(file, handoff.text);
    expect(await seenByBash(file, handoff.written)).toEqual(['prod_org', alias, '00DSB00000000012AA', 'https://acme.my.salesforce.com']);
    await expect(readFile(join(dir, 'pwned'))).rejects.toThrow();
  });

  it('leaves out, with a warning, a value from the API that is not of its form (a newline, a quote in an id)', () => {
    const handoff = handoffLines({ APPLINK_DEVELOPER_NAME: 'prod_org', APPLINK_ORG_ID: "00D'; touch x; '", APPLINK_INSTANCE_URL: 'https://a.example\nexport PATH=/evil' });
    expect(handoff.written).toEqual(['APPLINK_DEVELOPER_NAME']);
    expect(handoff.text).toBe("export APPLINK_DEVELOPER_NAME='prod_org'\n");
    expect(handoff.warnings).toHaveLength(2);
    expect(handoff.warnings[0]).toMatch(/^APPLINK_ORG_ID was not written to --append-env/);
  });

  it('leaves out absent values without a warning', () => {
    expect(handoffLines({ APPLINK_DEVELOPER_NAME: 'prod_org', APPLINK_ALIAS: 'applink:prod_org' })).toEqual({
      text: "export APPLINK_DEVELOPER_NAME='prod_org'\nexport APPLINK_ALIAS='applink:prod_org'\n",
      written: ['APPLINK_DEVELOPER_NAME', 'APPLINK_ALIAS'],
      warnings: [],
    });
  });
});

describe('checkAppendable and appendHandoff', () => {
  const deps = () => ({ fs, cwd: dir });

  it('appends after what the file holds, and creates a missing file with mode 0600', async () => {
    const existing = join(dir, 'bash_env');
    await writeFile(existing, 'export PATH="/opt/bin:${PATH}"\n');
    await appendHandoff(await checkAppendable('bash_env', deps()), "export A='1'\n", deps());
    expect(await readFile(existing, 'utf8')).toBe('export PATH="/opt/bin:${PATH}"\nexport A=\'1\'\n');
    const created = await checkAppendable('new.env', deps());
    await appendHandoff(created, "export B='2'\n", deps());
    expect((await fs.stat(created)).mode & 0o777).toBe(0o600);
  });

  it('refuses a folder, an empty value, a missing folder and (as a user other than root) a read-only file, naming --append-env', async () => {
    await mkdir(join(dir, 'a-folder'), { recursive: true });
    const readOnly = join(dir, 'read-only.env');
    await writeFile(readOnly, '');
    await chmod(readOnly, 0o400);
    const cases = ['a-folder', '', 'no/such/folder/file.env', ...(process.getuid?.() === 0 ? [] : [readOnly])];
    for (const file of cases) {
      const error = await checkAppendable(file, deps()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'ERR_APPEND_ENV', exitCode: 3, details: { inputs: ['--append-env'] } });
      expect((error as AppError).message).toMatch(/^Cannot append to --append-env /);
    }
  });

  it('reports a write that fails after the authorization was made as ERR_APPEND_ENV with the authorization in place', async () => {
    const failing = { fs: { ...fs, open: async () => Promise.reject(Object.assign(new Error('no space'), { code: 'ENOSPC' })) } };
    const error = await appendHandoff(join(dir, 'x.env'), "export A='1'\n", failing as never).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_APPEND_ENV', details: { state: 'authorized' } });
    expect((error as AppError).hint).toMatch(/--if-exists skip/);
  });
});
