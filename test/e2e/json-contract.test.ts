/**
 * The JSON contract: every command's `--json` output, success and failure (usage errors too), from
 * the built binary, validates against that command's JSON Schema in docs/schemas/, and nothing is
 * printed on stderr. The schemas are read as the files users get (written by `npm run docs`).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Ajv, type ValidateFunction } from 'ajv';
import { execa } from 'execa';
import { BIN, ROOT } from '../support/harness.js';
import { makeKeys, platformEnv, sandboxForTest, type TestKey } from '../support/applink-e2e.js';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { schemaFiles } from '../../scripts/json-schemas.js';
import { runBin } from '../support/harness.js';

let validators: Map<string, ValidateFunction>;
let sandbox: Sandbox;
let keys: TestKey[];
let cleanupKeys: () => Promise<void>;
let dir: string;
/** Every command line checked, by schema: the schema test checks each command was covered. */
const covered = new Map<string, string[]>();

beforeAll(async () => {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  validators = new Map();
  for (const name of await readdir(join(ROOT, 'docs/schemas'))) {
    const schema = JSON.parse(await readFile(join(ROOT, 'docs/schemas', name), 'utf8')) as Record<string, unknown>;
    validators.set(name.replace(/\.schema\.json$/, ''), ajv.compile(schema));
  }
  ({ keys, cleanup: cleanupKeys } = await makeKeys(2));
  sandbox = await sandboxForTest();
  sandbox.registerCertificate(keys[0]!.certificatePem);
  dir = await mkdtemp(join(tmpdir(), 'applink-jwt-json-'));
});
afterAll(async () => {
  await sandbox?.close();
  await cleanupKeys?.();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the binary with --json and checks the envelope against `schema`; returns the document. */
async function expectValid(schema: string, args: string[], env: Record<string, string> = {}, expected: { status: number }) {
  const result = await runBin([...args, '--json'], { env, cwd: dir });
  const lines = result.stdout.trimEnd().split('\n');
  const document = JSON.parse(result.stdout) as { status: number; result?: unknown; error?: { code: string } };
  const validate = validators.get(schema)!;
  const valid = validate(document);
  if (!valid) throw new Error(`${args.join(' ')}: ${JSON.stringify(validate.errors, null, 2)}\n${lines.join('\n')}`);
  expect({ exitCode: result.exitCode, status: document.status, stderr: result.stderr }).toEqual({ exitCode: expected.status, status: expected.status, stderr: '' });
  covered.set(schema, [...(covered.get(schema) ?? []), `${expected.status}`]);
  return document;
}

describe('--json output against docs/schemas', () => {
  it('the schema files are what scripts/json-schemas.ts renders (npm run docs)', async () => {
    for (const [file, text] of Object.entries(schemaFiles())) expect(await readFile(join(ROOT, file), 'utf8')).toBe(text);
  });

  it('keys generate and keys check: success, a failed check (status 9) and errors', async () => {
    await expectValid('keys-generate', ['keys', 'generate', '--dir', 'k', '--bits', '2048', '--days', '30'], {}, { status: 0 });
    expect((await expectValid('keys-generate', ['keys', 'generate', '--dir', 'k'], {}, { status: 3 })).error!.code).toBe('ERR_FILE_EXISTS');
    await expectValid('keys-check', ['keys', 'check', '--jwt-key-file', 'k/server.key', '--cert-file', 'k/server.crt'], {}, { status: 0 });
    await expectValid('keys-check', ['keys', 'check', '--jwt-key-file', keys[1]!.path, '--cert-file', 'k/server.crt'], {}, { status: 9 });
    await expectValid('keys-check', ['keys', 'check', '--jwt-key-file', 'nope.key'], {}, { status: 3 });
  });

  it('verify: success, several input problems at once, a Salesforce refusal', async () => {
    const env = { ...platformEnv(sandbox), JWT_PRIVATE_KEY: keys[0]!.pem };
    await expectValid('verify', ['verify', '--login-url', sandbox.urls.login], env, { status: 0 });
    const problems = await expectValid('verify', ['verify', '--login-url', sandbox.urls.login], {}, { status: 3 });
    expect(problems.error!.code).toBe('ERR_INPUT_PROBLEMS');
    await expectValid('verify', ['verify', '--login-url', sandbox.urls.login], { ...env, JWT_PRIVATE_KEY: keys[1]!.pem }, { status: 4 });
  });

  it('authorize, list, info, remove: success and failure', async () => {
    const env = { ...platformEnv(sandbox), JWT_PRIVATE_KEY: keys[0]!.pem };
    const app = sandbox.env().HEROKU_APP!;
    await expectValid('authorize', ['authorize', 'json_org', '-a', app, '--login-url', sandbox.urls.login], env, { status: 0 });
    await expectValid('authorize', ['authorize', 'json_org', '-a', 'no-such-app', '--login-url', sandbox.urls.login], env, { status: 5 });
    const listed = await expectValid('list', ['list', '-a', app], env, { status: 0 });
    expect((listed.result as { authorizations: unknown[] }).authorizations).toHaveLength(1);
    await expectValid('list', ['list'], env, { status: 3 });
    await expectValid('info', ['info', 'json_org', '-a', app], env, { status: 0 });
    await expectValid('info', ['info', 'other_org', '-a', app], env, { status: 5 });
    await expectValid('remove', ['remove', 'json_org', '-a', app], env, { status: 3 });
    await expectValid('remove', ['remove', 'json_org', '-a', app, '--yes'], env, { status: 0 });
  });

  it('rotate: every input problem at once (status 3), before any request', async () => {
    const before = sandbox.requestLog.length;
    const problems = await expectValid('rotate', ['rotate', '-a', sandbox.env().HEROKU_APP!], platformEnv(sandbox), { status: 3 });
    expect(problems.error!.code).toBe('ERR_INPUT_PROBLEMS');
    expect(sandbox.requestLog.length).toBe(before);
  });

  it('usage errors (exit 2) are the failure envelope, with nothing on stderr', async () => {
    for (const [schema, args] of [
      ['verify', ['verify', '--type', 'oracle']],
      ['authorize', ['authorize']],
      ['list', ['list', '--bogus']],
      ['keys-check', ['keys', 'check', '--max-age-days', 'soon']],
      ['version', ['bogus']],
    ] as const) {
      const document = await expectValid(schema, [...args], {}, { status: 2 });
      expect(document.error!.code).toBe('ERR_USAGE');
    }
  });

  it('version and demo', async () => {
    expect((await expectValid('version', ['version'], {}, { status: 0 })).result).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    await expectValid('demo', ['demo'], {}, { status: 0 });
  });

  it('sandbox: each JSON line is an envelope', async () => {
    const child = execa(process.execPath, [BIN, 'sandbox', '--json'], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, extendEnv: false, reject: false, cwd: ROOT });
    await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('\n') && resolve()));
    child.kill('SIGTERM');
    const result = await child;
    const validate = validators.get('sandbox')!;
    const lines = String(result.stdout).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect([validate(JSON.parse(line)), validate.errors]).toEqual([true, null]);
    expect(String(result.stderr)).toBe('');
    covered.set('sandbox', ['0']);
    await expectValid('sandbox', ['sandbox', '--state', 'missing.yml'], {}, { status: 3 });
  });

  it('covered every command with a schema', () => {
    expect([...covered.keys()].sort()).toEqual([...validators.keys()].sort());
  });
});
