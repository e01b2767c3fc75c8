/**
 * cli/salesforce/metadata-api.ts against the sandbox's Metadata API double over real HTTP on
 * loopback: reading an ECA's global OAuth settings, validate-only and real deploys with their
 * status polls, each refusal as its catalogue error (never with the token), and the requests
 * themselves, read from the sandbox's request log, against the contract of
 * docs/reference/salesforce-metadata-contract.md. One clock drives the sandbox and the client;
 * the client's sleep moves it, so polls take no real time.
 */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AppError } from '../../../cli/errors.js';
import { createEcaMetadataClient, withCertificate, type MetadataDeps } from '../../../cli/salesforce/metadata-api.js';
import type { DeployStatus, EcaMetadataPort, EcaOauthSettings } from '../../../cli/rotate/ports.js';
import { startSandbox, type Sandbox, type SandboxStateInput } from '../../../cli/sandbox/server.js';
import { keyFingerprint } from '../../../cli/sandbox/state.js';
import { fixtureKey, FROZEN_NOW } from '../sandbox/helpers.js';

const a = fixtureKey('a');
const b = fixtureKey('b');
const KEY_B = '3MVG9slot.B.ConsumerKey';

const STATE: SandboxStateInput = {
  settings: { deployDelayMs: 3000, propagationDelayMs: 5000 },
  orgs: [
    {
      name: 'acme',
      users: [
        { username: 'ci@acme.example' },
        { username: 'admin@acme.example', permissions: ['ModifyAllData'] },
        { username: 'deployer@acme.example', permissions: ['ModifyMetadata', 'ManageExternalClientApps'] },
        { username: 'nobody@acme.example' },
      ],
      externalClientApps: [
        { name: 'AppLink A', consumerKey: '3MVG9slot.A.ConsumerKey', certificate: a.certificate, preAuthorized: ['ci@acme.example'] },
        { name: 'AppLink B', consumerKey: KEY_B, certificate: a.certificate, preAuthorized: ['ci@acme.example'] },
      ],
    },
  ],
  apps: [],
};

let clock = FROZEN_NOW;
let sandbox: Sandbox | undefined;
let secrets: string[] = [];

async function restart(state: SandboxStateInput = STATE): Promise<Sandbox> {
  await sandbox?.close();
  clock = FROZEN_NOW;
  sandbox = await startSandbox({ now: () => clock, state });
  return sandbox;
}

afterAll(() => sandbox?.close());

function deps(): MetadataDeps {
  return {
    fetch: globalThis.fetch,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    signal: new AbortController().signal,
    secrets: { add: (value) => void (value && secrets.push(value)) },
  };
}

async function adminToken(username = 'admin@acme.example'): Promise<string> {
  const response = await fetch(`${sandbox!.urls.login}/__sandbox/org-display?username=${encodeURIComponent(username)}`);
  return ((await response.json()) as { result: { accessToken: string } }).result.accessToken;
}

async function client(username?: string, token?: string): Promise<{ metadata: EcaMetadataPort; token: string }> {
  const accessToken = token ?? (await adminToken(username));
  return { metadata: createEcaMetadataClient({ admin: { accessToken, instanceUrl: sandbox!.urls.instance }, pollIntervalMs: 1000 }, deps()), token: accessToken };
}

async function failure(promise: Promise<unknown>, token: string): Promise<AppError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (caught: unknown) => caught as AppError,
  );
  expect(error).toBeInstanceOf(AppError);
  expect(`${error.message} ${JSON.stringify(error.details)} ${error.hint}`).not.toContain(token);
  return error;
}

beforeEach(async () => {
  secrets = [];
  await restart();
});

describe('readSettings', () => {
  it('reads the settings and turns them into the settings file to deploy back, registering the token as a secret', async () => {
    const { metadata, token } = await client();
    const settings = await metadata.readSettings('AppLink_B');
    expect(settings).toMatchObject({ fullName: 'AppLink_B', externalClientApplication: 'AppLink_B', consumerKey: KEY_B, certificate: a.certificate.trim() });
    expect(settings.xml).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ExtlClntAppGlobalOauthSettings xmlns="http://soap.sforce.com/2006/04/metadata">',
        '    <callbackUrl>http://localhost:1717/OauthRedirect</callbackUrl>',
        `    <certificate>${a.certificate.trim()}</certificate>`,
        `    <consumerKey>${KEY_B}</consumerKey>`,
        '    <externalClientApplication>AppLink_B</externalClientApplication>',
        '    <label>AppLink B</label>',
        '</ExtlClntAppGlobalOauthSettings>',
        '',
      ].join('\n'),
    );
    expect(secrets).toContain(token);
  });

  it('reports an unknown name, a hidden consumer key, a missing permission and a refused session', async () => {
    const admin = await client();
    expect((await failure(admin.metadata.readSettings('Nope'), admin.token)).code).toBe('ERR_SF_ECA_SETTINGS_NOT_FOUND');
    const deployer = await client('deployer@acme.example');
    const hidden = await failure(deployer.metadata.readSettings('AppLink_B'), deployer.token);
    expect([hidden.code, hidden.exitCode, hidden.message]).toEqual(['ERR_SF_CONSUMER_KEY_HIDDEN', 4, 'ExtlClntAppGlobalOauthSettings AppLink_B came back without its consumerKey, so a deploy could not keep it.']);
    const nobody = await client('nobody@acme.example');
    const refused = await failure(nobody.metadata.readSettings('AppLink_B'), nobody.token);
    expect(refused.code).toBe('ERR_SF_METADATA_ACCESS');
    expect(refused.message).toBe(`The admin user may not use the Metadata API: POST ${sandbox!.urls.instance}/services/Soap/m/62.0 (readMetadata) answered 500 INSUFFICIENT_ACCESS: INSUFFICIENT_ACCESS: use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permissions.`);
    sandbox!.state.configure({ echoSecrets: true });
    const quoted = await failure(nobody.metadata.readSettings('AppLink_B'), nobody.token);
    expect(quoted.message).toContain('permissions (you sent sessionId: [REDACTED]).');
    expect((await failure(nobody.metadata.deployCertificate({ settings: { fullName: 'AppLink_B', externalClientApplication: 'AppLink_B', consumerKey: KEY_B, xml: '' }, certificatePem: b.certificate, checkOnly: true, deadline: clock + 1000 }), nobody.token)).message).toContain('(you sent authorization: Bearer [REDACTED])');
    sandbox!.state.configure({ echoSecrets: false });
    const expired = await client(undefined, '00DSB0000000001!expired');
    expect((await failure(expired.metadata.readSettings('AppLink_B'), '00DSB0000000001!expired')).code).toBe('ERR_SF_ADMIN_SESSION');
  });
});

describe('deployCertificate', () => {
  it('validates only: polls until Succeeded, reporting each status, and changes nothing', async () => {
    const { metadata } = await client();
    const settings = await metadata.readSettings('AppLink_B');
    const before = sandbox!.snapshot();
    const seen: DeployStatus[] = [];
    const outcome = await metadata.deployCertificate({ settings, certificatePem: b.certificate, checkOnly: true, deadline: clock + 60_000, onStatus: (status) => seen.push(status) });
    expect(outcome).toMatchObject({ status: 'Succeeded', done: true, success: true, checkOnly: true, numberComponentsTotal: 1 });
    expect(seen.map((status) => status.status)).toEqual(['Pending', 'Pending', 'InProgress', 'Succeeded']);
    expect(sandbox!.snapshot()).toEqual(before);
  });

  it('deploys for real, sending the consumer key it read, with requests that keep to the contract', async () => {
    const { metadata, token } = await client();
    const settings = await metadata.readSettings('AppLink_B');
    const outcome = await metadata.deployCertificate({ settings, certificatePem: b.certificate, checkOnly: false, deadline: clock + 60_000 });
    expect(outcome).toMatchObject({ status: 'Succeeded', checkOnly: false });
    expect(sandbox!.snapshot().externalClientApps[1]).toMatchObject({ consumerKey: KEY_B, certificateFingerprint: keyFingerprint(a.key), pendingCertificateFingerprint: keyFingerprint(b.key) });
    expect((await metadata.readSettings('AppLink_B')).certificate).toBe(b.certificate.trim());

    const log = sandbox!.requestLog.filter((entry) => entry.route.startsWith('metadata.'));
    const [read, deploy, ...rest] = log;
    // readMetadata: SOAP 1.1 on /services/Soap/m/{version}, the session in the SOAP header.
    expect(read).toMatchObject({ method: 'POST', host: sandbox!.urls.instance, path: '/services/Soap/m/62.0', status: 200 });
    expect(read!.headers).toMatchObject({ 'content-type': 'text/xml; charset=UTF-8', soapaction: '""' });
    expect(read!.headers.authorization).toBeUndefined();
    expect(read!.bodyFields).toEqual({ operation: 'readMetadata', type: 'ExtlClntAppGlobalOauthSettings', fullNames: 'AppLink_B', sessionId: '[REDACTED]' });
    // deployRequest: multipart, a json part {deployOptions} and a file part with the zip.
    expect(deploy).toMatchObject({ method: 'POST', path: '/services/data/v62.0/metadata/deployRequest', status: 201 });
    expect(deploy!.headers.authorization).toBe('[REDACTED]');
    expect(deploy!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=applink-jwt-[0-9a-f]{24}$/);
    expect(JSON.parse(deploy!.bodyFields.json!)).toEqual({ deployOptions: { checkOnly: false, singlePackage: true, rollbackOnError: true, ignoreWarnings: false, testLevel: 'NoTestRun' } });
    expect(deploy!.bodyFields.file).toMatch(/^application\/zip; \d+ bytes; filename deploy\.zip$/);
    // Status polls with details until done, then this test's own read.
    expect(rest.map((entry) => entry.route)).toEqual(['metadata.deployStatus', 'metadata.deployStatus', 'metadata.deployStatus', 'metadata.deployStatus', 'metadata.soap']);
    for (const poll of rest.slice(0, 4)) expect(poll).toMatchObject({ method: 'GET', path: `/services/data/v62.0/metadata/deployRequest/${outcome.id}?includeDetails=true`, status: 200 });
    expect(JSON.stringify(sandbox!.requestLog)).not.toContain(token);
  });

  it('reports a bad certificate with its component problem, and a user without the ECA permission', async () => {
    const { metadata, token } = await client();
    const settings = await metadata.readSettings('AppLink_B');
    const bad = await failure(metadata.deployCertificate({ settings, certificatePem: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----', checkOnly: true, deadline: clock + 60_000 }), token);
    expect(bad.code).toBe('ERR_SF_DEPLOY_FAILED');
    expect(bad.message).toMatch(/^The validate-only deploy 0Af\w{15} of ExtlClntAppGlobalOauthSettings AppLink_B ended Failed: AppLink_B: certificate: the value is not a valid X\.509 certificate in PEM format \(RSA, -----BEGIN CERTIFICATE-----\)\.\.$/);
    expect(bad.details).toMatchObject({ status: 'Failed', checkOnly: true, componentFailures: [{ fullName: 'AppLink_B', componentType: 'ExtlClntAppGlobalOauthSettings' }] });
    const nobody = await client('nobody@acme.example');
    const refused = await failure(nobody.metadata.deployCertificate({ settings, certificatePem: b.certificate, checkOnly: true, deadline: clock + 60_000 }), nobody.token);
    expect([refused.code, refused.details?.status, refused.details?.errorCode]).toEqual(['ERR_SF_METADATA_ACCESS', 403, 'INSUFFICIENT_ACCESS']);
  });

  it('stops at the deadline while the deploy is still in progress', async () => {
    await restart({ ...STATE, settings: { deployDelayMs: 3_600_000 } });
    const slow = await client();
    const settings = await slow.metadata.readSettings('AppLink_B');
    const late = await failure(slow.metadata.deployCertificate({ settings, certificatePem: b.certificate, checkOnly: true, deadline: clock + 5000 }), slow.token);
    expect([late.code, late.exitCode, late.details?.status]).toEqual(['ERR_SF_DEPLOY_TIMEOUT', 7, 'Pending']);
  });
});

describe('withCertificate', () => {
  const base: EcaOauthSettings = {
    fullName: 'X',
    externalClientApplication: 'X',
    consumerKey: 'key&1',
    xml: '<ExtlClntAppGlobalOauthSettings xmlns="http://soap.sforce.com/2006/04/metadata">\n    <callbackUrl>https://x.example/cb</callbackUrl>\n    <externalClientApplication>X</externalClientApplication>\n</ExtlClntAppGlobalOauthSettings>\n',
  };

  it('adds certificate and consumerKey before externalClientApplication when absent, escaped', () => {
    expect(withCertificate(base, 'PEM<1>\n')).toBe(
      '<ExtlClntAppGlobalOauthSettings xmlns="http://soap.sforce.com/2006/04/metadata">\n    <callbackUrl>https://x.example/cb</callbackUrl>\n    <certificate>PEM&lt;1&gt;</certificate>\n    <consumerKey>key&amp;1</consumerKey>\n    <externalClientApplication>X</externalClientApplication>\n</ExtlClntAppGlobalOauthSettings>\n',
    );
  });

  it('replaces a certificate and a consumer key that are there, and nothing else', () => {
    const xml = base.xml.replace('<externalClientApplication>', '<certificate>OLD</certificate>\n    <consumerKey>other</consumerKey>\n    <externalClientApplication>');
    expect(withCertificate({ ...base, xml }, 'NEW $& $1')).toBe(xml.replace('OLD', () => 'NEW $&amp; $1').replace('>other<', '>key&amp;1<'));
  });
});
