/**
 * The Metadata API double (cli/sandbox/metadata.ts): readMetadata over SOAP, the REST deploy
 * (multipart built by undici's own FormData, so the parser is checked against another writer) and
 * its status, validate-only and real, the propagation delay and the never-propagates fault, the
 * permission and bad-certificate errors, and what the request log keeps.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { writeZip } from '../../../cli/salesforce/zip.js';
import { startSandbox, type Sandbox, type SandboxStateInput } from '../../../cli/sandbox/server.js';
import { keyFingerprint } from '../../../cli/sandbox/state.js';
import { assertion, fixtureKey, FROZEN_NOW, postForm, type Answer } from './helpers.js';

const a = fixtureKey('a');
const b = fixtureKey('b');
const KEY_A = '3MVG9slot.A.ConsumerKey';
const KEY_B = '3MVG9slot.B.ConsumerKey';
const NS = 'http://soap.sforce.com/2006/04/metadata';

const STATE: SandboxStateInput = {
  settings: { deployDelayMs: 1000, propagationDelayMs: 5000 },
  orgs: [
    {
      name: 'acme',
      users: [
        { username: 'ci@acme.example' },
        { username: 'admin@acme.example', permissions: ['ModifyAllData'] },
        { username: 'deployer@acme.example', permissions: ['ModifyMetadata'] },
        { username: 'nobody@acme.example' },
      ],
      externalClientApps: [
        { name: 'AppLink A', developerName: 'AppLink_A', consumerKey: KEY_A, certificate: a.certificate, preAuthorized: ['ci@acme.example'] },
        { name: 'AppLink B', consumerKey: KEY_B, certificate: a.certificate, preAuthorized: ['ci@acme.example'] },
      ],
    },
  ],
  apps: [],
};

let clock = FROZEN_NOW;
let sandbox: Sandbox;

async function restart(state: SandboxStateInput = STATE): Promise<void> {
  await sandbox?.close();
  clock = FROZEN_NOW;
  sandbox = await startSandbox({ now: () => clock, state });
}

beforeAll(() => restart());
afterAll(() => sandbox.close());

async function session(username = 'admin@acme.example'): Promise<string> {
  const response = await fetch(`${sandbox.urls.login}/__sandbox/org-display?username=${encodeURIComponent(username)}`);
  return ((await response.json()) as { result: { accessToken: string } }).result.accessToken;
}

async function readSettings(token: string, fullNames: string[], version = '62.0'): Promise<{ status: number; text: string }> {
  const body = `<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:met="${NS}"><soapenv:Header><met:SessionHeader><met:sessionId>${token}</met:sessionId></met:SessionHeader></soapenv:Header><soapenv:Body><met:readMetadata><met:type>ExtlClntAppGlobalOauthSettings</met:type>${fullNames.map((name) => `<met:fullNames>${name}</met:fullNames>`).join('')}</met:readMetadata></soapenv:Body></soapenv:Envelope>`;
  const response = await fetch(`${sandbox.urls.instance}/services/Soap/m/${version}`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' }, body });
  return { status: response.status, text: await response.text() };
}

function settingsZip(fields: { certificate?: string; consumerKey?: string; eca?: string; member?: string; version?: string }): Buffer {
  const member = fields.member ?? 'AppLink_B';
  const file = `<?xml version="1.0" encoding="UTF-8"?>\n<ExtlClntAppGlobalOauthSettings xmlns="${NS}">\n    <callbackUrl>http://localhost:1717/OauthRedirect</callbackUrl>\n${fields.certificate === undefined ? '' : `    <certificate>${fields.certificate.trim()}</certificate>\n`}${fields.consumerKey === undefined ? '' : `    <consumerKey>${fields.consumerKey}</consumerKey>\n`}    <externalClientApplication>${fields.eca ?? 'AppLink_B'}</externalClientApplication>\n    <label>AppLink B</label>\n</ExtlClntAppGlobalOauthSettings>\n`;
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="${NS}"><types><members>${member}</members><name>ExtlClntAppGlobalOauthSettings</name></types><version>${fields.version ?? '62.0'}</version></Package>\n`;
  return writeZip([
    { name: 'package.xml', data: manifest },
    { name: `extlClntAppGlobalOauthSets/${member}.ecaGlblOauth`, data: file },
  ]);
}

async function deploy(token: string | undefined, zip: Buffer, checkOnly: boolean, partName = 'json'): Promise<Answer> {
  const form = new FormData();
  form.append(partName, new Blob([JSON.stringify({ deployOptions: { checkOnly, singlePackage: true, rollbackOnError: true, testLevel: 'NoTestRun' } })], { type: 'application/json' }));
  form.append('file', new Blob([zip], { type: 'application/zip' }), 'deploy.zip');
  const response = await fetch(`${sandbox.urls.instance}/services/data/v62.0/metadata/deployRequest`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {}, body: form });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as unknown, text };
}

async function deployStatus(token: string, id: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${sandbox.urls.instance}/services/data/v62.0/metadata/deployRequest/${id}?includeDetails=true`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { deployResult: Record<string, unknown> }).deployResult;
}

async function login(key: typeof a, clientId = KEY_B): Promise<string> {
  const signed = await assertion({ iss: clientId, sub: 'ci@acme.example', aud: sandbox.urls.login, exp: Math.floor(clock / 1000) + 180 }, key.key);
  const answer = await postForm(`${sandbox.urls.login}/services/oauth2/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: signed });
  return answer.status === 200 ? 'accepted' : String((answer.body as { error_description: string }).error_description);
}

describe('the admin session (GET /__sandbox/org-display)', () => {
  it('answers like `sf org display --json`, for the first user allowed the Metadata API by default', async () => {
    const response = await fetch(`${sandbox.urls.instance}/__sandbox/org-display`);
    const body = (await response.json()) as { status: number; result: Record<string, string> };
    expect(response.status).toBe(200);
    expect(body.status).toBe(0);
    expect(body.result).toMatchObject({ username: 'admin@acme.example', instanceUrl: sandbox.urls.instance, apiVersion: '62.0', connectedStatus: 'Connected' });
    expect(body.result.accessToken).toMatch(/^00D\w{12}!/);
    expect((await fetch(`${sandbox.urls.instance}/__sandbox/org-display?username=who@acme.example`)).status).toBe(404);
  });
});

describe('readMetadata (SOAP)', () => {
  it('reads the global OAuth settings of an app: certificate, consumer key, app name; an unknown name is nil', async () => {
    const { status, text } = await readSettings(await session(), ['AppLink_B', 'Nope']);
    expect(status).toBe(200);
    expect(text).toContain('<readMetadataResponse><result><records xsi:type="ExtlClntAppGlobalOauthSettings"><fullName>AppLink_B</fullName><callbackUrl>http://localhost:1717/OauthRedirect</callbackUrl><certificate>-----BEGIN CERTIFICATE-----');
    expect(text).toContain(`</certificate><consumerKey>${KEY_B}</consumerKey><externalClientApplication>AppLink_B</externalClientApplication><label>AppLink B</label></records><records xsi:nil="true"/></result>`);
    expect(text).toContain('xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"');
  });

  it('leaves the consumer key out without "View External Client Apps Consumer Secrets in Metadata"', async () => {
    const { status, text } = await readSettings(await session('deployer@acme.example'), ['AppLink_B']);
    expect(status).toBe(200);
    expect(text).not.toContain('consumerKey');
  });

  it('answers SOAP faults for a user without ModifyMetadata and for a bad session; the log redacts the session id', async () => {
    const refused = await readSettings(await session('nobody@acme.example'), ['AppLink_B']);
    expect(refused.status).toBe(500);
    expect(refused.text).toContain('<faultcode>sf:INSUFFICIENT_ACCESS</faultcode><faultstring>INSUFFICIENT_ACCESS: use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permissions</faultstring>');
    const invalid = await readSettings('00Dnope!bad', ['AppLink_B']);
    expect(invalid.text).toContain('<faultcode>sf:INVALID_SESSION_ID</faultcode>');
    const logged = sandbox.requestLog.filter((entry) => entry.route === 'metadata.soap').at(-1)!;
    expect(logged.bodyFields).toEqual({ operation: 'readMetadata', type: 'ExtlClntAppGlobalOauthSettings', fullNames: 'AppLink_B', sessionId: '[REDACTED]' });
  });
});

describe('deployRequest (REST)', () => {
  beforeEach(() => restart());

  it('validates only with checkOnly: Pending, then Succeeded, and nothing changes', async () => {
    const token = await session();
    const before = sandbox.snapshot();
    const created = await deploy(token, settingsZip({ certificate: b.certificate, consumerKey: KEY_B }), true);
    expect(created.status).toBe(201);
    const body = created.body as { id: string; url: string; deployResult: Record<string, unknown>; deployOptions: Record<string, unknown> };
    expect(body.id).toMatch(/^0Af\w{15}$/);
    expect(body.url).toBe(`${sandbox.urls.instance}/services/data/v62.0/metadata/deployRequest/${body.id}`);
    expect(body.deployResult).toMatchObject({ id: body.id, status: 'Pending', done: false, checkOnly: true, success: false });
    expect(body.deployOptions).toEqual({ checkOnly: true, singlePackage: true, rollbackOnError: true, testLevel: 'NoTestRun' });
    clock += 1000;
    const done = await deployStatus(token, body.id);
    expect(done).toMatchObject({ status: 'Succeeded', done: true, success: true, checkOnly: true, numberComponentsTotal: 1, numberComponentsDeployed: 1, numberComponentErrors: 0 });
    expect((done.details as { componentSuccesses: Array<{ fullName: string }> }).componentSuccesses.map((c) => c.fullName)).toEqual(['package.xml', 'AppLink_B']);
    expect(sandbox.snapshot()).toEqual(before);
    expect(await login(b)).toBe('invalid assertion');
  });

  it('deploys for real: the metadata shows the certificate once done, the login servers accept it only after the propagation delay', async () => {
    const token = await session();
    const created = await deploy(token, settingsZip({ certificate: b.certificate, consumerKey: KEY_B }), false);
    const id = (created.body as { id: string }).id;
    clock += 600;
    expect(await deployStatus(token, id)).toMatchObject({ status: 'InProgress', done: false });
    expect((await readSettings(token, ['AppLink_B'])).text).toContain(a.certificate.trim().split('\n')[1]!);
    clock += 400;
    expect(await deployStatus(token, id)).toMatchObject({ status: 'Succeeded', done: true, success: true, checkOnly: false });
    expect((await readSettings(token, ['AppLink_B'])).text).toContain(b.certificate.trim().split('\n')[1]!);
    expect(await login(b)).toBe('invalid assertion');
    expect(await login(a)).toBe('accepted');
    expect(sandbox.snapshot().externalClientApps[1]).toMatchObject({ consumerKey: KEY_B, certificateFingerprint: keyFingerprint(a.key), pendingCertificateFingerprint: keyFingerprint(b.key) });
    clock += 4999;
    expect(await login(b)).toBe('invalid assertion');
    clock += 1;
    expect(await login(b)).toBe('accepted');
    expect(await login(a)).toBe('invalid assertion');
    expect(sandbox.snapshot().externalClientApps[1]).toEqual({ consumerKey: KEY_B, certificateFingerprint: keyFingerprint(b.key), preAuthorized: ['ci@acme.example'] });
    expect(await login(a, KEY_A)).toBe('accepted');
  });

  it('never propagates with propagationDelayMs: never (the old certificate stays the accepted one)', async () => {
    await restart({ ...STATE, settings: { deployDelayMs: 0, propagationDelayMs: 'never' } });
    const token = await session();
    const created = await deploy(token, settingsZip({ certificate: b.certificate }), false);
    expect(await deployStatus(token, (created.body as { id: string }).id)).toMatchObject({ status: 'Succeeded' });
    clock += 24 * 3600 * 1000;
    expect(await login(b)).toBe('invalid assertion');
    expect(await login(a)).toBe('accepted');
  });

  it('fails a bad certificate, another consumer key, a missing app or file, with component failures, changing nothing', async () => {
    const token = await session();
    const before = sandbox.snapshot();
    const cases: Array<[Buffer, string]> = [
      [settingsZip({ certificate: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----' }), 'certificate: the value is not a valid X.509 certificate in PEM format (RSA, -----BEGIN CERTIFICATE-----).'],
      [settingsZip({ certificate: b.certificate, consumerKey: 'other' }), "consumerKey: the consumer key of AppLink_B can't be set to another value (rotate it with shouldRotateConsumerKey)."],
      [settingsZip({ eca: 'Nope', member: 'Nope' }), 'In field: externalClientApplication - no ExternalClientApplication named Nope found'],
      [settingsZip({ certificate: b.certificate, version: '59.0' }), `Error parsing file: Element {${NS}}certificate invalid at this location in type ExtlClntAppGlobalOauthSettings`],
      [writeZip([{ name: 'package.xml', data: `<Package xmlns="${NS}"><types><members>AppLink_B</members><name>ExtlClntAppGlobalOauthSettings</name></types><version>62.0</version></Package>` }]), "An object 'AppLink_B' of type ExtlClntAppGlobalOauthSettings was named in package.xml, but was not found in zipped directory"],
      [writeZip([{ name: 'x.txt', data: 'x' }]), 'No package.xml found'],
      [Buffer.from('not a zip'), 'The zip file is not valid: no end of central directory record.'],
    ];
    for (const [zip, problem] of cases) {
      const created = await deploy(token, zip, false);
      expect(created.status).toBe(201);
      clock += 1000;
      const result = await deployStatus(token, (created.body as { id: string }).id);
      expect(result).toMatchObject({ status: 'Failed', done: true, success: false, numberComponentErrors: 1 });
      const failures = (result.details as { componentFailures: Array<{ problem: string; problemType: string; success: boolean }> }).componentFailures;
      expect(failures.map((failure) => [failure.problem, failure.problemType, failure.success])).toEqual([[problem, 'Error', false]]);
    }
    expect(sandbox.snapshot()).toEqual(before);
  });

  it('refuses a user without ModifyMetadata (403), a missing session (401) and a body that is not multipart (400); fails the deploy without the ECA permission', async () => {
    const zip = settingsZip({ certificate: b.certificate });
    const refused = await deploy(await session('nobody@acme.example'), zip, false);
    expect([refused.status, refused.body]).toEqual([403, [{ message: 'use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permissions', errorCode: 'INSUFFICIENT_ACCESS' }]]);
    expect((await deploy(undefined, zip, false)).status).toBe(401);
    const notMultipart = await fetch(`${sandbox.urls.instance}/services/data/v62.0/metadata/deployRequest`, { method: 'POST', headers: { authorization: `Bearer ${await session()}`, 'content-type': 'application/json' }, body: '{}' });
    expect(notMultipart.status).toBe(400);
    expect(((await notMultipart.json()) as Array<{ errorCode: string }>)[0]!.errorCode).toBe('INVALID_MULTIPART_REQUEST');
    const deployer = await session('deployer@acme.example');
    const created = await deploy(deployer, zip, false);
    clock += 1000;
    const result = await deployStatus(deployer, (created.body as { id: string }).id);
    expect((result.details as { componentFailures: Array<{ problem: string }> }).componentFailures[0]!.problem).toBe('Insufficient access rights: editing external client app AppLink_B needs the "Create, edit, and delete External Client Apps" permission.');
    expect(sandbox.snapshot().externalClientApps[1]!.certificateFingerprint).toBe(keyFingerprint(a.key));
  });

  it('accepts the JSON part as entity_content too (as jsforce sends it), and logs both parts without the session', async () => {
    const token = await session();
    const created = await deploy(token, settingsZip({ certificate: b.certificate }), true, 'entity_content');
    expect(created.status).toBe(201);
    const logged = sandbox.requestLog.filter((entry) => entry.route === 'metadata.deploy').at(-1)!;
    expect(logged.headers.authorization).toBe('[REDACTED]');
    expect(logged.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(JSON.parse(logged.bodyFields.entity_content!)).toEqual({ deployOptions: { checkOnly: true, singlePackage: true, rollbackOnError: true, testLevel: 'NoTestRun' } });
    expect(logged.bodyFields.file).toMatch(/^application\/zip; \d+ bytes; filename deploy\.zip$/);
    expect(JSON.stringify(sandbox.requestLog)).not.toContain(token);
  });

  it('quotes the session in its errors in echoSecrets mode: the SOAP fault and the REST error list', async () => {
    sandbox.state.configure({ echoSecrets: true });
    const token = await session('nobody@acme.example');
    expect((await readSettings(token, ['AppLink_B'])).text).toContain(`permissions (you sent sessionId: ${token})</faultstring>`);
    expect((await deploy(token, settingsZip({}), true)).body).toEqual([{ errorCode: 'INSUFFICIENT_ACCESS', message: `use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permissions (you sent authorization: Bearer ${token})` }]);
  });

  it('gives the app a new consumer key on a real deploy with the consumerKeyChangesOnDeploy fault', async () => {
    sandbox.state.configure({ consumerKeyChangesOnDeploy: true });
    await deploy(await session(), settingsZip({ certificate: b.certificate }), false);
    expect(sandbox.snapshot().externalClientApps[1]!.consumerKey).not.toBe(KEY_B);
    expect(sandbox.snapshot().externalClientApps[1]!.consumerKey).toMatch(/^3MVG9sandbox\./);
  });
});
