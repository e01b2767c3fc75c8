import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { packOrb } from '../../scripts/orb/pack.js';
import { ROOT } from '../support/harness.js';
import { expectNoSecrets } from '../support/leak-guard.js';
import { expandCommand, expandJob, interpolate, type ExpandedStep, type RunStep } from './expand.js';

let orb: Record<string, unknown>;
let version: string;
beforeAll(async () => {
  version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  // The text npm run orb:pack writes to dist/orb.yml, read back as CircleCI reads it (YAML 1.1).
  orb = YAML.parse((await packOrb(join(ROOT, 'orb/src'), { version })).yaml, { version: '1.1' }) as Record<string, unknown>;
});

const runs = (steps: ExpandedStep[]) => steps.filter((step): step is RunStep => step.kind === 'run');

describe('expanding the packed applink orb', () => {
  it('expands the authorize job: cache steps, install with the pinned version, authorize with names and values', async () => {
    const steps = expandJob(orb, 'authorize', { developer_name: 'prod_org', replace: true, jwt_private_key: 'NEXT_KEY', timeout: 30 });
    expect(steps.map((step) => (step.kind === 'run' ? `run: ${step.name}` : step.step))).toEqual([
      'restore_cache',
      `run: Install applink-jwt ${version}`,
      'save_cache',
      'run: Authorize prod_org with Heroku AppLink',
    ]);
    const [install, authorize] = runs(steps);
    expect(install!.environment).toEqual({ APPLINK_STR_VERSION: version, APPLINK_STR_PACKAGE: '' });
    const { APPLINK_SCRIPT_UTILS: utils, ...environment } = authorize!.environment;
    expect(environment).toEqual({
      APPLINK_STR_DEVELOPER_NAME: 'prod_org',
      APPLINK_ENUM_TYPE: 'salesforce',
      APPLINK_STR_APP: '$HEROKU_APP_NAME',
      APPLINK_STR_ADDON: '',
      APPLINK_STR_LOGIN_URL: 'https://login.salesforce.com',
      APPLINK_STR_ALIAS: '',
      APPLINK_BOOL_REPLACE: 'true',
      APPLINK_ENUM_IF_EXISTS: 'fail',
      APPLINK_BOOL_PREFLIGHT: 'true',
      APPLINK_INT_TIMEOUT: '30',
      APPLINK_ENV_HEROKU_API_KEY: 'HEROKU_API_KEY',
      APPLINK_ENV_JWT_PRIVATE_KEY: 'NEXT_KEY',
      APPLINK_ENV_CLIENT_ID: 'SF_CLIENT_ID',
      APPLINK_ENV_USERNAME: 'SF_USERNAME',
    });
    expect(utils).toBe(await readFile(join(ROOT, 'orb/src/scripts/utils.sh'), 'utf8'));
    expect(authorize!.command).toBe(await readFile(join(ROOT, 'orb/src/scripts/authorize.sh'), 'utf8'));
  });

  it('passes booleans as 1/0 when asked (some images export them so), and drops the cache steps with cache: false', () => {
    const steps = expandCommand(orb, 'check_key', { match_key: false }, { booleans: '1-0' });
    expect(runs(steps)[0]!.environment.APPLINK_BOOL_MATCH_KEY).toBe('0');
    expect(expandCommand(orb, 'install', { cache: false }).map((step) => step.kind)).toEqual(['run']);
  });

  it('rejects what CircleCI rejects: a missing required parameter, an unknown one, a value for an env_var_name, an enum outside its values', () => {
    expect(() => expandJob(orb, 'authorize', {})).toThrow('job authorize: missing required argument "developer_name"');
    expect(() => expandJob(orb, 'authorize', { developer_name: 'x', login: 'y' })).toThrow('job authorize: unknown argument "login"');
    expect(() => expandJob(orb, 'authorize', { developer_name: 'x', jwt_private_key: '-----BEGIN PRIVATE KEY-----' })).toThrow(
      'job authorize: "jwt_private_key" must be an environment variable name, got a value that is not',
    );
    expect(() => expandJob(orb, 'authorize', { developer_name: 'x', type: 'oracle' })).toThrow('job authorize: "type" must be one of ["salesforce","datacloud"], got "oracle"');
    expect(() => expandJob(orb, 'authorize', { developer_name: 'x', replace: 'yes' })).toThrow('job authorize: "replace" must be a boolean, got "yes"');
  });
});

describe('substitution rules', () => {
  const tiny = {
    commands: {
      say: {
        parameters: { loud: { type: 'boolean', default: false }, who: { type: 'string', default: 'you' }, extra: { type: 'steps', default: [] } },
        steps: [
          { run: { name: 'Say <<parameters.who>>', command: 'cat \\<<EOF\n<<#parameters.loud>>HELLO<</parameters.loud>><<^parameters.loud>>hello<</parameters.loud>> << parameters.who >> \\<<parameters.who>>\nEOF\n' } },
          { steps: '<<parameters.extra>>' },
          { when: { condition: '<<parameters.loud>>', steps: [{ run: { name: 'Shout', command: 'echo !' } }] } },
          { unless: { condition: '<<parameters.loud>>', steps: ['checkout'] } },
        ],
      },
    },
  };

  it('substitutes references and sections, keeps \\<< escaped text literal, then unescapes it', () => {
    const quiet = expandCommand(tiny, 'say', { who: 'Ada' });
    expect(quiet).toEqual([
      { kind: 'run', name: 'Say Ada', command: 'cat <<EOF\nhello Ada <<parameters.who>>\nEOF\n', environment: {}, background: false, when: 'on_success' },
      { kind: 'other', step: 'checkout', args: undefined },
    ]);
    const loud = expandCommand(tiny, 'say', { loud: true, extra: [{ run: { name: 'Extra', command: 'true' } }] });
    expect(runs(loud).map((step) => [step.name, step.command.split('\n')[1]])).toEqual([
      ['Say you', 'HELLO you <<parameters.who>>'],
      ['Extra', undefined],
      ['Shout', undefined],
    ]);
  });

  it('fails on a reference to an undeclared parameter', () => {
    expect(() => interpolate('<< parameters.nope >>', {})).toThrow('<< parameters.nope >> is not a parameter here');
  });

  it('the expanded authorize job carries variable names, never a secret value, even when the job environment holds them', async () => {
    const key = await readFile(join(ROOT, 'test/fixtures/sandbox/key-a.pem'), 'utf8');
    const steps = expandJob(orb, 'authorize', { developer_name: 'prod_org', jwt_private_key: 'NEXT_KEY', replace: true });
    const text = JSON.stringify(steps);
    expect(text).toContain('NEXT_KEY');
    // The values live only in the job's environment (a CircleCI context), which the steps never copy.
    expectNoSecrets([text, YAML.stringify(orb)], { privateKeys: [key], tokens: ['HRKU-orb-context-value-0123456789'] });
  });
});
