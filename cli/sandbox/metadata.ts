/**
 * The Metadata API double, for the certificate of an external client app (issue 18's rotation):
 * SOAP `readMetadata` of `ExtlClntAppGlobalOauthSettings` on `/services/Soap/m/{version}`, and the
 * REST deploy (`POST /services/data/vNN.0/metadata/deployRequest`, multipart: a JSON part with
 * `deployOptions` and a zip part) with its status (`GET .../deployRequest/{id}?includeDetails=true`),
 * validate-only (`checkOnly`) and real. A real deploy that changes the certificate shows in the
 * metadata once the deploy is done, and the login servers accept it `propagationDelayMs` later
 * (or never: the never-propagates fault); until then they keep accepting the previous one.
 *
 * The request contract and every choice the double makes where the real API is unconfirmed are in
 * docs/reference/salesforce-metadata-contract.md.
 */
import { randomBytes } from 'node:crypto';
import { accessToken as newAccessToken, sequentialId, toId15 } from './ids.js';
import { bearerToken, json, route, SANDBOX_SERVICES, type Reply, type Route, type RouteContext, type SandboxRequest } from './routing.js';
import { invalidSession, salesforceNotFound } from './salesforce.js';
import { parseCertificate, type ExternalClientApp, type SandboxState, type SandboxUser } from './state.js';
import { readZip, ZipFormatError } from './zip-reader.js';
import { escapeXml, unescapeXml } from '../xml-text.js';

export const METADATA_NAMESPACE = 'http://soap.sforce.com/2006/04/metadata';
export const SOAP_ENVELOPE_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';
/** The metadata type that holds an external client app's certificate, its folder and suffix. */
export const GLOBAL_OAUTH_TYPE = 'ExtlClntAppGlobalOauthSettings';
export const GLOBAL_OAUTH_FOLDER = 'extlClntAppGlobalOauthSets';
export const GLOBAL_OAUTH_SUFFIX = 'ecaGlblOauth';
/** The type exists from API 59.0; its `certificate` field from 60.0. */
const TYPE_SINCE = 59;
const CERTIFICATE_SINCE = 60;

export const INSUFFICIENT_ACCESS_MESSAGE = 'use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permissions';
export const INVALID_SESSION_FAULT = 'INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session';

/** One component's line in a deploy's details. */
export interface DeployMessage {
  changed: boolean;
  columnNumber: number | null;
  componentType: string;
  created: boolean;
  createdDate: string;
  deleted: boolean;
  fileName: string;
  fullName: string;
  id: string | null;
  lineNumber: number | null;
  problem: string | null;
  problemType: 'Error' | 'Warning' | null;
  success: boolean;
}

/** A deploy the double accepted. */
export interface DeployRecord {
  id: string;
  orgId: string;
  createdBy: SandboxUser;
  createdAtMs: number;
  doneAtMs: number;
  deployOptions: Record<string, unknown>;
  checkOnly: boolean;
  successes: DeployMessage[];
  failures: DeployMessage[];
  componentsTotal: number;
}

// ---- XML, as far as these flat documents need it ----

/** The texts of every `<tag>` (any namespace prefix) in `xml`. */
export function elementTexts(xml: string, tag: string): string[] {
  const pattern = new RegExp(`<(?:[\\w.-]+:)?${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?${tag}>`, 'g');
  return [...xml.matchAll(pattern)].map((match) => unescapeXml(match[1]!.trim()));
}

function elementText(xml: string, tag: string): string | undefined {
  return elementTexts(xml, tag)[0];
}

// ---- SOAP ----

const SOAP_HEADERS = { 'content-type': 'text/xml;charset=UTF-8' };

function soapEnvelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP_ENVELOPE_NAMESPACE}" xmlns="${METADATA_NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}

/** A SOAP fault, as the Metadata API answers them (HTTP 500, `sf:` fault codes). */
export function soapFault(faultCode: string, faultString: string): Reply {
  return {
    status: 500,
    headers: SOAP_HEADERS,
    body: soapEnvelope(`<soapenv:Fault><faultcode>${escapeXml(faultCode)}</faultcode><faultstring>${escapeXml(faultString)}</faultstring></soapenv:Fault>`),
  };
}

/** `v62.0` or `62.0` as the number 62; undefined when it is neither. */
function apiVersion(raw: string | undefined, prefixed: boolean): number | undefined {
  const match = (prefixed ? /^v(\d+)\.0$/ : /^(\d+)\.0$/).exec(raw ?? '');
  return match ? Number(match[1]) : undefined;
}

function sessionOf(token: string | undefined, state: SandboxState): { user: SandboxUser } | undefined {
  const session = token ? state.liveToken(token, 'core') : undefined;
  const user = session ? state.findUser(session.username) : undefined;
  return user ? { user } : undefined;
}

/** The global OAuth settings of an app as the metadata holds them (`<records>` content or a file's root content). */
export function globalOauthFields(state: SandboxState, app: ExternalClientApp, user: SandboxUser, version: number): string {
  const certificate = version >= CERTIFICATE_SINCE ? state.metadataCertificate(app) : undefined;
  const fields: Array<[string, string | undefined]> = [
    ['callbackUrl', app.callbackUrl],
    ['certificate', certificate?.trim()],
    // Without "View External Client Apps Consumer Secrets in Metadata" the key is left out (choice).
    ['consumerKey', state.hasPermission(user, 'ViewConsumerSecretsInMetadata') ? app.consumerKey : undefined],
    ['externalClientApplication', app.developerName],
    ['label', app.name],
  ];
  return fields
    .filter((field): field is [string, string] => field[1] !== undefined)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
}

/** POST /services/Soap/m/{version}: `readMetadata` of `ExtlClntAppGlobalOauthSettings`. */
function soapCall(request: SandboxRequest, { state }: RouteContext): Reply {
  const version = apiVersion(request.params.version, false);
  if (version === undefined) return soapFault('sf:UNSUPPORTED_API_VERSION', 'UNSUPPORTED_API_VERSION: Invalid Api version specified on URL');
  const xml = request.rawBody;
  const operation = /<(?:[\w.-]+:)?Body[^>]*>\s*<(?:[\w.-]+:)?([\w]+)/.exec(xml)?.[1];
  const type = elementText(xml, 'type');
  const fullNames = elementTexts(xml, 'fullNames');
  const sessionId = elementText(xml, 'sessionId');
  request.logFields = { operation: operation ?? '', ...(type === undefined ? {} : { type }), fullNames: fullNames.join(','), sessionId: sessionId ?? '' };
  const session = sessionOf(sessionId, state);
  if (!session) return soapFault('sf:INVALID_SESSION_ID', INVALID_SESSION_FAULT);
  if (!state.hasPermission(session.user, 'ModifyMetadata')) return soapFault('sf:INSUFFICIENT_ACCESS', `INSUFFICIENT_ACCESS: ${INSUFFICIENT_ACCESS_MESSAGE}`);
  if (operation !== 'readMetadata') return soapFault('sf:UNKNOWN_EXCEPTION', `The sandbox's Metadata API double answers readMetadata only, not ${operation ?? 'an empty body'}`);
  if (type !== GLOBAL_OAUTH_TYPE || version < TYPE_SINCE) {
    return soapFault('sf:INVALID_TYPE', `INVALID_TYPE: The sandbox reads ${GLOBAL_OAUTH_TYPE} (API ${TYPE_SINCE}.0 and later) only, not ${type ?? 'no type'} in API ${version}.0`);
  }
  const records = fullNames.map((fullName) => {
    const app = state.externalClientApps.find((candidate) => candidate.orgId === session.user.orgId && candidate.developerName === fullName);
    if (!app) return '<records xsi:nil="true"/>';
    return `<records xsi:type="${GLOBAL_OAUTH_TYPE}"><fullName>${escapeXml(fullName)}</fullName>${globalOauthFields(state, app, session.user, version)}</records>`;
  });
  return { status: 200, headers: SOAP_HEADERS, body: soapEnvelope(`<readMetadataResponse><result>${records.join('')}</result></readMetadataResponse>`) };
}

// ---- REST deploy ----

function restError(status: number, errorCode: string, message: string): Reply {
  return json(status, [{ message, errorCode }]);
}

/** What a deploy of the zip would do, checked now; `apply` makes it happen. */
interface DeployPlan {
  successes: DeployMessage[];
  failures: DeployMessage[];
  componentsTotal: number;
  apply(deployedAtMs: number): void;
}

function message(stamp: string, fields: Partial<DeployMessage> & Pick<DeployMessage, 'fileName' | 'fullName'>): DeployMessage {
  const success = fields.success ?? false;
  return {
    changed: false,
    columnNumber: null,
    componentType: '',
    created: false,
    createdDate: stamp,
    deleted: false,
    id: null,
    lineNumber: null,
    problem: null,
    problemType: success ? null : 'Error',
    success,
    ...fields,
  };
}

/** Checks a deploy's zip against the org (as `user`) and says what it would change. */
function planDeploy(state: SandboxState, user: SandboxUser, zip: Buffer, stamp: string): DeployPlan {
  const failed = (fileName: string, fullName: string, problem: string, componentType = ''): DeployPlan => ({
    successes: [],
    failures: [message(stamp, { fileName, fullName, problem, componentType })],
    componentsTotal: 1,
    apply: () => undefined,
  });
  let entries;
  try {
    entries = readZip(zip);
  } catch (error) {
    if (!(error instanceof ZipFormatError)) throw error;
    return failed('deploy.zip', 'deploy.zip', `The zip file is not valid: ${error.message}.`);
  }
  // singlePackage: package.xml at the root; otherwise under one folder.
  const manifest = entries.find((entry) => /^(?:[^/]+\/)?package\.xml$/.test(entry.name));
  if (!manifest) return failed('package.xml', 'package.xml', 'No package.xml found');
  const root = manifest.name.slice(0, -'package.xml'.length);
  const packageXml = manifest.data.toString('utf8');
  const packageVersion = Number(elementText(packageXml, 'version') ?? 'NaN');
  const types = [...packageXml.matchAll(/<(?:[\w.-]+:)?types>([\s\S]*?)<\/(?:[\w.-]+:)?types>/g)].map((match) => ({ name: elementText(match[1]!, 'name'), members: elementTexts(match[1]!, 'members') }));
  const successes: DeployMessage[] = [message(stamp, { fileName: `${root}package.xml`, fullName: 'package.xml', success: true })];
  const failures: DeployMessage[] = [];
  const changes: Array<(deployedAtMs: number) => void> = [];
  let total = 0;
  for (const type of types) {
    if (type.name !== GLOBAL_OAUTH_TYPE) {
      total += type.members.length;
      for (const member of type.members) failures.push(message(stamp, { fileName: `${root}package.xml`, fullName: member, componentType: type.name ?? '', problem: `The sandbox's Metadata API double deploys ${GLOBAL_OAUTH_TYPE} only.` }));
      continue;
    }
    for (const member of type.members) {
      total += 1;
      const fileName = `${root}${GLOBAL_OAUTH_FOLDER}/${member}.${GLOBAL_OAUTH_SUFFIX}`;
      const fail = (problem: string) => failures.push(message(stamp, { fileName, fullName: member, componentType: GLOBAL_OAUTH_TYPE, problem }));
      const file = entries.find((entry) => entry.name === fileName);
      if (!file) {
        fail(`An object '${member}' of type ${GLOBAL_OAUTH_TYPE} was named in package.xml, but was not found in zipped directory`);
        continue;
      }
      const xml = file.data.toString('utf8');
      const rootElement = new RegExp(`<${GLOBAL_OAUTH_TYPE}\\s+xmlns="${METADATA_NAMESPACE.replace(/[.]/g, '\\.')}"\\s*>([\\s\\S]*)</${GLOBAL_OAUTH_TYPE}>`).exec(xml);
      if (!rootElement) {
        fail(`Error parsing file: the root element must be ${GLOBAL_OAUTH_TYPE} in the namespace ${METADATA_NAMESPACE}`);
        continue;
      }
      const certificate = elementText(rootElement[1]!, 'certificate');
      if (certificate !== undefined && !(packageVersion >= CERTIFICATE_SINCE)) {
        fail(`Error parsing file: Element {${METADATA_NAMESPACE}}certificate invalid at this location in type ${GLOBAL_OAUTH_TYPE}`);
        continue;
      }
      const ecaName = elementText(rootElement[1]!, 'externalClientApplication');
      const app = state.externalClientApps.find((candidate) => candidate.orgId === user.orgId && candidate.developerName === ecaName);
      if (!ecaName || !app) {
        fail(`In field: externalClientApplication - no ExternalClientApplication named ${ecaName ?? '(missing)'} found`);
        continue;
      }
      if (app.developerName !== member) {
        fail(`The sandbox keeps one ${GLOBAL_OAUTH_TYPE} per external client app, named like it: ${app.developerName}, not ${member}.`);
        continue;
      }
      if (!state.hasPermission(user, 'ManageExternalClientApps')) {
        fail(`Insufficient access rights: editing external client app ${app.developerName} needs the "Create, edit, and delete External Client Apps" permission.`);
        continue;
      }
      const consumerKey = elementText(rootElement[1]!, 'consumerKey');
      if (consumerKey !== undefined && consumerKey !== app.consumerKey) {
        fail(`consumerKey: the consumer key of ${app.developerName} can't be set to another value (rotate it with shouldRotateConsumerKey).`);
        continue;
      }
      if (certificate !== undefined) {
        try {
          parseCertificate(certificate, 'certificate');
        } catch {
          fail('certificate: the value is not a valid X.509 certificate in PEM format (RSA, -----BEGIN CERTIFICATE-----).');
          continue;
        }
      }
      const rotateKey = elementText(rootElement[1]!, 'shouldRotateConsumerKey') === 'true' || state.settings.consumerKeyChangesOnDeploy;
      const changesCertificate = certificate !== undefined && certificate.trim() !== (state.metadataCertificate(app) ?? '').trim();
      successes.push(message(stamp, { fileName, fullName: member, componentType: GLOBAL_OAUTH_TYPE, success: true, changed: changesCertificate || rotateKey }));
      changes.push((deployedAtMs) => {
        if (changesCertificate) state.stageCertificate(app, certificate!, deployedAtMs);
        if (rotateKey) app.consumerKey = `3MVG9sandbox.${randomBytes(18).toString('base64url')}`;
      });
    }
  }
  if (total === 0) failures.push(message(stamp, { fileName: `${root}package.xml`, fullName: 'package.xml', problem: 'package.xml names no component to deploy' }));
  return {
    successes: failures.length === 0 ? successes : [],
    failures,
    componentsTotal: total,
    apply: (deployedAtMs) => {
      if (failures.length === 0) for (const change of changes) change(deployedAtMs);
    },
  };
}

type DeployStatusName = 'Pending' | 'InProgress' | 'Succeeded' | 'Failed';

/** The `deployResult` of a record at `nowMs`, with `details` when asked. */
export function deployResult(record: DeployRecord, nowMs: number, includeDetails: boolean): Record<string, unknown> {
  const done = nowMs >= record.doneAtMs;
  const success = record.failures.length === 0;
  const status: DeployStatusName = done ? (success ? 'Succeeded' : 'Failed') : nowMs < record.createdAtMs + (record.doneAtMs - record.createdAtMs) / 2 ? 'Pending' : 'InProgress';
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '+0000');
  return {
    id: record.id,
    checkOnly: record.checkOnly,
    completedDate: done ? stamp(record.doneAtMs) : null,
    createdBy: toId15(record.createdBy.id),
    createdByName: record.createdBy.username,
    createdDate: stamp(record.createdAtMs),
    ...(includeDetails ? { details: { componentFailures: done ? record.failures : [], componentSuccesses: done ? record.successes : [], runTestResult: { numFailures: 0, numTestsRun: 0, totalTime: 0, codeCoverage: [], codeCoverageWarnings: [], failures: [], flowCoverage: [], flowCoverageWarnings: [], successes: [] } } } : {}),
    done,
    errorMessage: null,
    errorStatusCode: null,
    ignoreWarnings: Boolean(record.deployOptions.ignoreWarnings),
    lastModifiedDate: stamp(done ? record.doneAtMs : record.createdAtMs),
    numberComponentErrors: done ? record.failures.length : 0,
    numberComponentsDeployed: done && success ? record.componentsTotal : 0,
    numberComponentsTotal: status === 'Pending' ? 0 : record.componentsTotal,
    numberTestErrors: 0,
    numberTestsCompleted: 0,
    numberTestsTotal: 0,
    rollbackOnError: record.deployOptions.rollbackOnError !== false,
    runTestsEnabled: false,
    startDate: status === 'Pending' ? null : stamp(record.createdAtMs),
    stateDetail: null,
    status,
    success: done && success,
  };
}

/** Whether the session may use the Metadata API: the reply refusing it, or the user. */
function metadataUser(request: SandboxRequest, state: SandboxState): SandboxUser | Reply {
  const session = sessionOf(bearerToken(request.headers), state);
  if (!session) return invalidSession();
  if (!state.hasPermission(session.user, 'ModifyMetadata')) return restError(403, 'INSUFFICIENT_ACCESS', INSUFFICIENT_ACCESS_MESSAGE);
  return session.user;
}

/** The Metadata API double's routes (on the org's instance host) and its control route. */
export function metadataRoutes(): Route[] {
  const deploys = new Map<string, DeployRecord>();
  let sequence = 0;
  const deployUrl = (origin: string, version: string, id: string, details: boolean) => `${origin}/services/data/${version}/metadata/deployRequest/${id}${details ? '?includeDetails=true' : ''}`;

  function deploy(request: SandboxRequest, { state, origin, now }: RouteContext): Reply {
    const version = apiVersion(request.params.version, true);
    if (version === undefined) return salesforceNotFound('instance');
    const jsonPart = request.parts?.find((part) => part.name === 'json' || part.name === 'entity_content');
    const filePart = request.parts?.find((part) => part.name === 'file');
    request.logFields = {
      ...(jsonPart ? { [jsonPart.name]: jsonPart.data.toString('utf8') } : {}),
      ...(filePart ? { file: `${filePart.contentType}; ${filePart.data.length} bytes${filePart.filename === undefined ? '' : `; filename ${filePart.filename}`}` } : {}),
    };
    const user = metadataUser(request, state);
    if ('status' in user) return user;
    if (!request.parts || !jsonPart || !filePart) {
      return restError(400, 'INVALID_MULTIPART_REQUEST', 'Send multipart/form-data with a JSON part named json ({"deployOptions": {...}}) and the zip in a part named file.');
    }
    let options: unknown;
    try {
      options = (JSON.parse(jsonPart.data.toString('utf8')) as { deployOptions?: unknown }).deployOptions;
    } catch {
      return restError(400, 'JSON_PARSER_ERROR', 'The json part is not valid JSON.');
    }
    if (typeof options !== 'object' || options === null || Array.isArray(options)) return restError(400, 'JSON_PARSER_ERROR', 'The json part must be an object with deployOptions.');
    const deployOptions = options as Record<string, unknown>;
    const createdAtMs = now();
    const plan = planDeploy(state, user, filePart.data, new Date(createdAtMs).toISOString());
    sequence += 1;
    const record: DeployRecord = {
      id: sequentialId('0Af', sequence),
      orgId: user.orgId,
      createdBy: user,
      createdAtMs,
      doneAtMs: createdAtMs + state.settings.deployDelayMs,
      deployOptions,
      checkOnly: deployOptions.checkOnly === true,
      successes: plan.successes,
      failures: plan.failures,
      componentsTotal: plan.componentsTotal,
    };
    deploys.set(record.id, record);
    if (!record.checkOnly) plan.apply(record.doneAtMs);
    return json(201, {
      validatedDeployRequestId: null,
      id: record.id,
      url: deployUrl(origin, request.params.version!, record.id, false),
      deployResult: deployResult(record, createdAtMs, false),
      deployOptions,
    });
  }

  function status(request: SandboxRequest, { state, origin, now }: RouteContext): Reply {
    const version = apiVersion(request.params.version, true);
    if (version === undefined) return salesforceNotFound('instance');
    const user = metadataUser(request, state);
    if ('status' in user) return user;
    const record = deploys.get(request.params.id ?? '');
    if (!record || record.orgId !== user.orgId) return salesforceNotFound('instance');
    const includeDetails = request.query.get('includeDetails') === 'true';
    return json(200, {
      id: record.id,
      url: deployUrl(origin, request.params.version!, record.id, includeDetails),
      deployResult: deployResult(record, now(), includeDetails),
      deployOptions: record.deployOptions,
    });
  }

  return [
    route('instance', 'POST', '/services/Soap/m/:version', 'metadata.soap', soapCall),
    route('instance', 'POST', '/services/data/:version/metadata/deployRequest', 'metadata.deploy', deploy),
    route('instance', 'GET', '/services/data/:version/metadata/deployRequest/:id', 'metadata.deployStatus', status),
  ];
}

/**
 * `GET /__sandbox/org-display?username=...`: a new session for that user (default: the first one
 * who may use the Metadata API), printed the way `sf org display --json` prints an org: the admin
 * credential of `applink-jwt rotate`, for a command that prints it.
 */
export function orgDisplayRoute(): Route {
  return route(SANDBOX_SERVICES, 'GET', '/__sandbox/org-display', 'control.org-display', (request, { state, urls }) => {
    const username = request.query.get('username') ?? state.users.find((user) => state.hasPermission(user, 'ModifyMetadata'))?.username;
    const user = username ? state.findUser(username) : undefined;
    if (!user) return json(404, { status: 1, name: 'NoOrgFound', message: username ? `No user ${username} in the sandbox.` : 'No user of the sandbox may use the Metadata API (permissions: ModifyMetadata).' });
    const { token } = state.issueSession(user.username, newAccessToken);
    const org = state.requireOrg(user.orgId);
    return json(200, {
      status: 0,
      result: { id: org.id, apiVersion: org.apiVersion, accessToken: token, instanceUrl: urls.instance, username: user.username, clientId: 'PlatformCLI', connectedStatus: 'Connected' },
      warnings: [],
    });
  });
}
