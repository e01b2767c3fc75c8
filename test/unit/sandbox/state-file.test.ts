import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InputError } from '../../../cli/errors.js';
import { startSandbox } from '../../../cli/sandbox/server.js';
import { loadStateFile } from '../../../cli/sandbox/state-file.js';
import { validateStateInput } from '../../../cli/sandbox/state-schema.js';
import { SandboxState, ipInRanges, keyFingerprint } from '../../../cli/sandbox/state.js';
import { ROOT } from '../../support/harness.js';
import { fixtureKey } from './helpers.js';

const a = fixtureKey('a');
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'sandbox-state-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function load(name: string, text: string) {
  await fs.writeFile(join(dir, name), text);
  return loadStateFile(name, { fs, cwd: dir });
}

async function loadError(name: string, text: string): Promise<InputError> {
  try {
    await load(name, text);
  } catch (error) {
    return error as InputError;
  }
  throw new Error('expected an error');
}

describe('loadStateFile', () => {
  it('loads the documented example, reading the certificate path relative to the file', async () => {
    const input = await loadStateFile('test/fixtures/sandbox/state.yml', { fs, cwd: ROOT });
    expect(input.orgs?.[0]?.externalClientApps?.[0]?.certificate).toBe(a.certificate);
    const state = SandboxState.fromInput(input);
    expect(state.orgs.map((org) => [org.name, org.type, org.id])).toEqual([
      ['acme', 'production', '00D5g000004XyZaEAK'],
      ['acme-uat', 'sandbox', expect.stringMatching(/^00D/)],
    ]);
    expect(state.findUser('former@acme.example')?.active).toBe(false);
    expect(state.settings.settleDelayMs).toBe(50);
    expect(state.herokuApiKey).toBe('HRKU-fixture-api-key-0000000000000000');
    const addon = state.findAddon('applink-acme-1')!;
    expect(addon.attachments.map((x) => [x.name, state.findApp(x.appId)?.name])).toEqual([
      ['HEROKU_APPLINK', 'acme-web'],
      ['HEROKU_APPLINK_WORKER', 'acme-worker'],
    ]);
    expect(state.snapshot().externalClientApps[0]!.certificateFingerprint).toBe(keyFingerprint(a.key));
  });

  it('starts a sandbox whose env points at the first app and org', async () => {
    const input = await loadStateFile('test/fixtures/sandbox/state.yml', { fs, cwd: ROOT });
    const sandbox = await startSandbox({ state: input });
    try {
      expect(sandbox.env()).toEqual({
        HEROKU_API_KEY: 'HRKU-fixture-api-key-0000000000000000',
        HEROKU_API_URL: sandbox.urls.platform,
        HEROKU_HOST: sandbox.urls.platform,
        HEROKU_APP: 'acme-web',
        HEROKU_APP_NAME: 'acme-web',
        HEROKU_APP_ID: '0b5d2a3e-6f0c-4f36-9d3e-2a1c5b7e9f01',
        HEROKU_APPLINK_API_URL: `${sandbox.urls.applink}/addons/5c8e1f2a-3b4d-4e6f-8a9b-0c1d2e3f4a5b`,
        HEROKU_APPLINK_TOKEN: 'applink-fixture-token-acme-web',
        SF_LOGIN_URL: sandbox.urls.login,
        SF_CLIENT_ID: '3MVG9fixture.Acme.ConsumerKey',
        SF_USERNAME: 'ci@acme.example',
        CIRCLECI_API_URL: `${sandbox.urls.circleci}/api/v2`,
        CIRCLE_TOKEN: sandbox.state.circleci.token,
      });
    } finally {
      await sandbox.close();
    }
  });

  it('accepts an empty file (an empty state)', async () => {
    expect(await load('empty.yml', '')).toEqual({});
  });

  it('accepts an inline PEM certificate', async () => {
    const text = `orgs:\n  - name: o\n    users: [{ username: u@o.example }]\n    externalClientApps:\n      - consumerKey: k\n        certificate: |\n${a.certificate.trim().split('\n').map((line) => `          ${line}`).join('\n')}\n`;
    const input = await load('inline.yml', text);
    expect(input.orgs?.[0]?.externalClientApps?.[0]?.certificate?.trim()).toBe(a.certificate.trim());
  });

  it('reads a user\'s Login IP Ranges (IPv4 CIDR) and refuses anything else there', async () => {
    const input = await load('ranges.yml', 'orgs:\n  - name: o\n    users:\n      - username: u@o.example\n        loginIpRanges: [198.51.100.0/24, 203.0.113.9]\n');
    const state = SandboxState.fromInput(input);
    expect(state.users[0]!.loginIpRanges).toEqual(['198.51.100.0/24', '203.0.113.9']);
    const error = await loadError('bad-range.yml', 'orgs:\n  - name: o\n    users:\n      - username: u@o.example\n        loginIpRanges: [office]\n');
    expect(error.code).toBe('ERR_SANDBOX_STATE');
  });

  it.each([
    ['127.0.0.1', ['127.0.0.0/8'], true],
    ['127.0.0.1', ['198.51.100.0/24'], false],
    ['198.51.100.7', ['198.51.100.0/24'], true],
    ['198.51.101.7', ['198.51.100.0/24'], false],
    ['203.0.113.9', ['203.0.113.9'], true],
    ['203.0.113.10', ['203.0.113.9/32'], false],
    ['10.1.2.3', ['0.0.0.0/0'], true],
    ['::1', ['0.0.0.0/0'], false],
  ])('%s in %j: %s', (ip, ranges, inside) => {
    expect(ipInRanges(ip, ranges)).toBe(inside);
  });

  it.each([
    ['an unknown key', 'orgs:\n  - name: o\n    colour: blue\n', 'bad.yml: orgs[0] has an unknown key "colour".'],
    ['a bad enum', 'orgs:\n  - name: o\n    type: staging\n', 'bad.yml: orgs[0].type must be one of production, sandbox.'],
    ['a missing name', 'apps:\n  - addons: []\n', 'bad.yml: apps[0].name is required.'],
    ['a wrong type', 'orgs:\n  - name: o\n    users:\n      - username: u@o.example\n        active: "yes"\n', 'bad.yml: orgs[0].users[0].active must be boolean.'],
    ['a bad settle delay', 'settings:\n  settleDelayMs: soon\n', 'bad.yml: settings.settleDelayMs must be a number of milliseconds or "never".'],
    ['an empty string', 'heroku:\n  apiKey: ""\n', 'bad.yml: heroku.apiKey must not be empty.'],
    ['a top-level list', '- a\n- b\n', 'bad.yml: (top level) must be object.'],
  ])('refuses %s, naming the file and path', async (_name, text, message) => {
    const error = await loadError('bad.yml', text);
    expect(error).toBeInstanceOf(InputError);
    expect(error.code).toBe('ERR_SANDBOX_STATE');
    expect(error.message).toBe(message);
    expect(error.hint).toBe('See "Sandbox state file" in docs/sandbox.md for the keys each entry takes.');
  });

  it('refuses YAML that does not parse, naming the line', async () => {
    const error = await loadError('broken.yml', 'orgs:\n  - name: o\n   type: [\n');
    expect(error.code).toBe('ERR_SANDBOX_STATE');
    expect(error.message).toMatch(/^broken\.yml:\d+:\d+: not valid YAML \([A-Z_]+\)\.$/);
  });

  it('refuses a certificate path that cannot be read', async () => {
    const error = await loadError('nocert.yml', 'orgs:\n  - name: o\n    externalClientApps:\n      - consumerKey: k\n        certificate: missing.crt\n');
    expect(error.message).toBe('nocert.yml: orgs[0].externalClientApps[0].certificate: cannot read the certificate file missing.crt (ENOENT).');
    expect(error.hint).toBe('Give the PEM text, or a path relative to the state file.');
  });

  it('refuses a certificate file that is not a certificate', async () => {
    await fs.writeFile(join(dir, 'key.crt'), a.pem);
    const error = await loadError('notcert.yml', 'orgs:\n  - name: o\n    externalClientApps:\n      - consumerKey: k\n        certificate: key.crt\n');
    expect(error.message).toMatch(/^notcert\.yml: orgs\[0\]\.externalClientApps\[0\]\.certificate is not an X\.509 certificate in PEM form \(.+\)\.$/);
    expect(error.message).not.toContain('PRIVATE KEY');
  });

  it('refuses a file that does not exist', async () => {
    await expect(loadStateFile('nope.yml', { fs, cwd: dir })).rejects.toMatchObject({
      code: 'ERR_SANDBOX_STATE',
      message: 'Cannot read the sandbox state file nope.yml (ENOENT).',
      hint: 'Check the path given to --state.',
    });
  });
});

describe('typed input and the state API', () => {
  it('validates typed input with the same schema', async () => {
    expect(() => validateStateInput({ orgs: [{ name: 'o', type: 'dev' }] }, 'sandbox state')).toThrow('sandbox state: orgs[0].type must be one of production, sandbox.');
    await expect(startSandbox({ state: { apps: [{ name: 'x', addons: [{ name: 'y', state: 'gone' as 'provisioned' }] }] } })).rejects.toMatchObject({
      code: 'ERR_SANDBOX_STATE',
      message: 'sandbox state: apps[0].addons[0].state must be one of provisioned, provisioning.',
    });
  });

  it.each([
    ['a pre-authorized user that is not in the org', { orgs: [{ name: 'o', externalClientApps: [{ consumerKey: 'k', preAuthorized: ['x@o.example'] }] }] }, 'The pre-authorized user of external client app k, x@o.example, is not a user of org "o".'],
    ['a duplicate username across orgs', { orgs: [{ name: 'o', users: [{ username: 'u@x' }] }, { name: 'p', users: [{ username: 'U@x' }] }] }, 'Username U@x is defined twice (Salesforce usernames are unique across orgs).'],
    ['a duplicate consumer key', { orgs: [{ name: 'o', externalClientApps: [{ consumerKey: 'k' }, { consumerKey: 'k' }] }] }, 'Consumer key k is used by two external client apps.'],
    ['a bad org id', { orgs: [{ name: 'o', id: '001A0000006Vm9r' }] }, 'The org "o" id, 001A0000006Vm9r, is not a Salesforce id starting with 00D (15 characters, or 18 with a valid suffix).'],
    ['a My Domain with a path', { orgs: [{ name: 'o', myDomain: 'https://o.my.salesforce.com/home' }] }, 'The org "o" myDomain, "https://o.my.salesforce.com/home", must be an https origin without a path.'],
    ['an attachment on an unknown app', { apps: [{ name: 'a', addons: [{ name: 'x', attachments: [{ name: 'HEROKU_APPLINK', app: 'ghost' }] }] }] }, 'No Heroku app "ghost" in the sandbox.'],
    ['a lower-case attachment name', { apps: [{ name: 'a', addons: [{ name: 'x', attachments: [{ name: 'heroku_applink' }] }] }] }, 'Attachment name "heroku_applink" of add-on x must be upper case letters, digits and underscores (it prefixes config vars).'],
    ['two attachments of one name on an app', { apps: [{ name: 'a', addons: [{ name: 'x' }, { name: 'y' }] }] }, 'App a already has an attachment named HEROKU_APPLINK.'],
  ])('refuses %s', (_name, input, message) => {
    expect(() => SandboxState.fromInput(input)).toThrow(message);
  });

  it('registers certificates, pre-authorizes and deactivates users through the typed API', () => {
    const state = SandboxState.fromInput({ orgs: [{ name: 'o', users: [{ username: 'u@o.example' }], externalClientApps: [{ consumerKey: 'k' }] }] });
    expect(() => state.registerCertificate('k', 'not a certificate')).toThrow(/^The certificate for consumer key k is not an X\.509 certificate in PEM form/);
    expect(() => state.registerCertificate('nope', a.certificate)).toThrow('No external client app with consumer key nope in the sandbox.');
    state.registerCertificate('k', a.certificate);
    state.preAuthorize('k', 'u@o.example');
    state.preAuthorize('k', 'u@o.example');
    state.setUserActive('u@o.example', false);
    expect(state.snapshot()).toEqual({
      authorizations: [],
      externalClientApps: [{ consumerKey: 'k', certificateFingerprint: keyFingerprint(a.key), preAuthorized: ['u@o.example'] }],
      users: [{ username: 'u@o.example', active: false }],
      addons: [],
      apps: [],
      circleciVariables: [],
    });
  });
});
