/**
 * The Salesforce Metadata API client of `rotate`, with the admin credential (never the integration
 * user's): reads an external client app's `ExtlClntAppGlobalOauthSettings` (SOAP `readMetadata`)
 * and deploys it back with a new `certificate` (REST `deployRequest`: a validate-only run or a
 * real one, then status polls until done) with the consumer key it read, so the key stays. The
 * contract, with sources: docs/reference/salesforce-metadata-contract.md.
 *
 * The access token is registered with the redaction registry before the first request and is
 * never put in an error; answers are reduced to codes and one-line messages.
 */
import { randomBytes } from 'node:crypto';
import type { Deps } from '../deps.js';
import { AppError, InterruptedError, NetworkError, SalesforceError, TimeoutError } from '../errors.js';
import { httpRequest, parseJson, RETRY_IDEMPOTENT, type HttpBounds, type HttpResponse } from '../http.js';
import { SALESFORCE_METADATA_ERRORS } from './metadata-catalogue.js';
import { writeZip } from './zip.js';
import type { AdminCredential, DeployCertificateRequest, DeployOutcome, DeployStatus, EcaMetadataPort, EcaOauthSettings } from '../rotate/ports.js';
import { escapeXml, unescapeXml } from '../xml-text.js';

export const METADATA_NAMESPACE = 'http://soap.sforce.com/2006/04/metadata';
export const GLOBAL_OAUTH_TYPE = 'ExtlClntAppGlobalOauthSettings';
/** The `certificate` field exists from API 60.0; 62.0 is what the rest of the CLI speaks. */
export const DEFAULT_METADATA_API_VERSION = '62.0';
/** Time between deploy status polls (jsforce polls every second; a deploy of one file takes seconds). */
export const DEFAULT_DEPLOY_POLL_MS = 2000;
const REQUEST_TIMEOUT_MS = 30_000;

export type MetadataDeps = Pick<Deps, 'fetch' | 'sleep' | 'signal' | 'now' | 'secrets'> & HttpBounds & Partial<Pick<Deps, 'httpLog'>>;

export interface MetadataClientOptions {
  admin: AdminCredential;
  /** `62.0` (60.0 or later: the `certificate` field). */
  apiVersion?: string;
  /** Time between status polls of a deploy. */
  pollIntervalMs?: number;
  /** Timeout of each request. */
  timeoutMs?: number;
}

// ---- XML: the few flat documents these calls exchange ----

/** The first `<tag>` (any namespace prefix) of `xml`: its attributes and its raw inner XML. */
function element(xml: string, tag: string): { attributes: string; inner: string } | undefined {
  const match = new RegExp(`<(?:[\\w.-]+:)?${tag}(\\s[^>]*?)?(?:/>|>([\\s\\S]*?)</(?:[\\w.-]+:)?${tag}>)`).exec(xml);
  return match ? { attributes: match[1] ?? '', inner: match[2] ?? '' } : undefined;
}

function text(xml: string, tag: string): string | undefined {
  const found = element(xml, tag);
  return found ? unescapeXml(found.inner.trim()) : undefined;
}

/** The settings file (metadata format) from a `readMetadata` record's inner XML, without `fullName` and `consumerSecret`. */
function settingsFile(recordInner: string): string {
  const fields = recordInner
    .replace(/<(?:[\w.-]+:)?fullName>[\s\S]*?<\/(?:[\w.-]+:)?fullName>/, '')
    // Never kept: a secret, and the deploy does not need it to keep its value (unverified).
    .replace(/<(?:[\w.-]+:)?consumerSecret>[\s\S]*?<\/(?:[\w.-]+:)?consumerSecret>/, '')
    .replace(/<(\/?)[\w.-]+:/g, '<$1');
  const lines = [...fields.matchAll(/<(\w+)(?:\s[^>]*)?>[\s\S]*?<\/\1>|<\w+(?:\s[^>]*)?\/>/g)].map((match) => `    ${match[0]}`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${GLOBAL_OAUTH_TYPE} xmlns="${METADATA_NAMESPACE}">\n${lines.join('\n')}\n</${GLOBAL_OAUTH_TYPE}>\n`;
}

/**
 * The settings file with `certificate` set to `certificatePem` (added before
 * `consumerKey`/`externalClientApplication` when absent) and `consumerKey` set to the one read:
 * every other field stays as read, the reference's "safest approach".
 */
export function withCertificate(settings: EcaOauthSettings, certificatePem: string): string {
  const pem = escapeXml(certificatePem.trim());
  let xml = settings.xml;
  xml = /<certificate>[\s\S]*?<\/certificate>/.test(xml) ? xml.replace(/<certificate>[\s\S]*?<\/certificate>/, () => `<certificate>${pem}</certificate>`) : xml.replace(/(\s*)(<consumerKey>|<externalClientApplication>)/, (_m, space: string, next: string) => `${space}<certificate>${pem}</certificate>${space}${next}`);
  const key = escapeXml(settings.consumerKey);
  xml = /<consumerKey>[\s\S]*?<\/consumerKey>/.test(xml) ? xml.replace(/<consumerKey>[\s\S]*?<\/consumerKey>/, () => `<consumerKey>${key}</consumerKey>`) : xml.replace(/(\s*)(<externalClientApplication>)/, (_m, space: string, next: string) => `${space}<consumerKey>${key}</consumerKey>${space}${next}`);
  return xml;
}

/** `package.xml` naming one `ExtlClntAppGlobalOauthSettings`. */
export function packageXml(fullName: string, apiVersion: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="${METADATA_NAMESPACE}">\n    <types>\n        <members>${escapeXml(fullName)}</members>\n        <name>${GLOBAL_OAUTH_TYPE}</name>\n    </types>\n    <version>${apiVersion}</version>\n</Package>\n`;
}

/** The deploy zip (single package): `package.xml` and `extlClntAppGlobalOauthSets/<fullName>.ecaGlblOauth`. */
export function deployZip(settings: EcaOauthSettings, certificatePem: string, apiVersion: string): Buffer {
  return writeZip([
    { name: 'package.xml', data: packageXml(settings.fullName, apiVersion) },
    { name: `extlClntAppGlobalOauthSets/${settings.fullName}.ecaGlblOauth`, data: withCertificate(settings, certificatePem) },
  ]);
}

/** The options of every deploy: one package, all or nothing, no Apex tests (a settings file has none). */
export function deployOptions(checkOnly: boolean): Record<string, unknown> {
  return { checkOnly, singlePackage: true, rollbackOnError: true, ignoreWarnings: false, testLevel: 'NoTestRun' };
}

/** The multipart body of `POST .../metadata/deployRequest`: a `json` part and a `file` part (the zip). */
export function deployRequestBody(options: Record<string, unknown>, zip: Buffer, boundary: string): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="json"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify({ deployOptions: options })}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="deploy.zip"\r\nContent-Type: application/zip\r\n\r\n`),
    zip,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

// ---- errors ----

function metadataError(code: string, message: string, details: Record<string, unknown> = {}): AppError {
  const entry = SALESFORCE_METADATA_ERRORS.find((candidate) => candidate.code === code)!;
  const options = { hint: entry.fix, details };
  if (entry.exitCode === 7) return new TimeoutError(code, message, options);
  if (entry.exitCode === 8) return new NetworkError(code, message, options);
  return new SalesforceError(code, message, options);
}

/** Service text as kept in errors: one line, bounded, without control characters or the admin token it may quote. */
type Clean = (value: unknown, max?: number) => string | undefined;

function cleaner(secret: string): Clean {
  return (value, max = 300) => {
    if (typeof value !== 'string') return undefined;
    let line = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
    if (secret !== '') line = line.split(secret).join('[REDACTED]');
    return line.length > max ? `${line.slice(0, max)}…` : line;
  };
}

/** A refusal (non-2xx) of the REST API or a SOAP fault, as the catalogue's error. */
function refusal(where: string, response: HttpResponse, errorCode: string | undefined, message: string | undefined): AppError {
  const details = { endpoint: where, status: response.status, ...(errorCode ? { errorCode } : {}), ...(message ? { message } : {}) };
  const said = `${where} answered ${response.status}${errorCode ? ` ${errorCode}` : ''}${message ? `: ${message}` : ''}`;
  if (errorCode === 'INVALID_SESSION_ID' || response.status === 401) return metadataError('ERR_SF_ADMIN_SESSION', `The admin credential was refused: ${said}.`, details);
  if (errorCode === 'INSUFFICIENT_ACCESS') return metadataError('ERR_SF_METADATA_ACCESS', `The admin user may not use the Metadata API: ${said}.`, details);
  if ((response.status >= 500 && errorCode === undefined) || response.status === 429) return metadataError('ERR_SF_METADATA_UNAVAILABLE', `The Metadata API is unavailable: ${said} (after ${response.attempts} attempt${response.attempts === 1 ? '' : 's'}).`, details);
  return metadataError('ERR_SF_METADATA_REFUSED', `The Metadata API refused the call: ${said}.`, details);
}

/** `[{errorCode, message}]` of a REST error answer. */
function restRefusal(where: string, response: HttpResponse, clean: Clean): AppError {
  const body = parseJson(response.text);
  const first = (Array.isArray(body) ? body[0] : body) as Record<string, unknown> | undefined;
  return refusal(where, response, clean(first?.errorCode, 80), clean(first?.message));
}

const asBoolean = (value: unknown) => value === true || value === 'true';
const asNumber = (value: unknown) => (typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined);

/** The deploy's status from a `deployResult` (booleans and numbers as JSON values or as strings, as the documentation shows them). */
function statusOf(result: Record<string, unknown>, id: string): DeployStatus {
  const deployed = asNumber(result.numberComponentsDeployed);
  const total = asNumber(result.numberComponentsTotal);
  return {
    id: typeof result.id === 'string' ? result.id : id,
    status: typeof result.status === 'string' ? result.status : 'Unknown',
    done: asBoolean(result.done),
    checkOnly: asBoolean(result.checkOnly),
    ...(deployed === undefined ? {} : { numberComponentsDeployed: deployed }),
    ...(total === undefined ? {} : { numberComponentsTotal: total }),
  };
}

/** The component problems of a failed deploy, for the message and `details` (no secret: names and Salesforce's texts). */
function componentFailures(result: Record<string, unknown>, clean: Clean): Array<{ fullName?: string; fileName?: string; componentType?: string; problem?: string }> {
  const details = result.details as { componentFailures?: unknown } | undefined;
  const failures = details?.componentFailures;
  const list = Array.isArray(failures) ? failures : failures && typeof failures === 'object' ? [failures] : [];
  return list.map((failure) => {
    const record = failure as Record<string, unknown>;
    return { fullName: clean(record.fullName, 120), fileName: clean(record.fileName, 200), componentType: clean(record.componentType, 80), problem: clean(record.problem) };
  });
}

// ---- the client ----

/** The Metadata API client for the admin credential (implements rotate's {@link EcaMetadataPort}). */
export function createEcaMetadataClient(options: MetadataClientOptions, deps: MetadataDeps): EcaMetadataPort {
  const { admin } = options;
  deps.secrets?.add(admin.accessToken);
  const clean = cleaner(admin.accessToken);
  const apiVersion = options.apiVersion ?? DEFAULT_METADATA_API_VERSION;
  const instance = new URL(admin.instanceUrl).origin;
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_DEPLOY_POLL_MS;
  const restBase = `${instance}/services/data/v${apiVersion}/metadata/deployRequest`;

  async function readSettings(fullName: string): Promise<EcaOauthSettings> {
    const url = `${instance}/services/Soap/m/${apiVersion}`;
    const envelope =
      `<?xml version="1.0" encoding="UTF-8"?>` +
      `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:met="${METADATA_NAMESPACE}">` +
      `<soapenv:Header><met:SessionHeader><met:sessionId>${escapeXml(admin.accessToken)}</met:sessionId></met:SessionHeader></soapenv:Header>` +
      `<soapenv:Body><met:readMetadata><met:type>${GLOBAL_OAUTH_TYPE}</met:type><met:fullNames>${escapeXml(fullName)}</met:fullNames></met:readMetadata></soapenv:Body>` +
      `</soapenv:Envelope>`;
    const where = `POST ${url} (readMetadata)`;
    // readMetadata changes nothing: safe to repeat.
    const response = await httpRequest(
      { method: 'POST', url, headers: { 'content-type': 'text/xml; charset=UTF-8', soapaction: '""', accept: 'text/xml' }, body: envelope, timeoutMs, retry: RETRY_IDEMPOTENT, service: 'the Salesforce Metadata API' },
      deps,
    );
    const fault = element(response.text, 'Fault');
    if (fault) {
      const faultCode = text(fault.inner, 'faultcode')?.replace(/^[\w.-]+:/, '');
      throw refusal(where, response, faultCode, clean(text(fault.inner, 'faultstring')));
    }
    if (response.status < 200 || response.status >= 300) throw refusal(where, response, undefined, undefined);
    const result = element(response.text, 'readMetadataResponse');
    if (!result) throw metadataError('ERR_SF_METADATA_UNAVAILABLE', `${where} answered ${response.status} without a readMetadataResponse (not the Metadata API speaking?).`, { endpoint: where, status: response.status });
    const record = element(result.inner, 'records');
    const found = record && !/xsi:nil="true"/.test(record.attributes) ? record.inner : undefined;
    if (!found || text(found, 'fullName') === undefined) {
      throw metadataError('ERR_SF_ECA_SETTINGS_NOT_FOUND', `The org at ${instance} has no ${GLOBAL_OAUTH_TYPE} named ${fullName}.`, { fullName });
    }
    const secret = text(found, 'consumerSecret');
    if (secret) deps.secrets?.add(secret);
    const consumerKey = text(found, 'consumerKey');
    if (!consumerKey) {
      throw metadataError('ERR_SF_CONSUMER_KEY_HIDDEN', `${GLOBAL_OAUTH_TYPE} ${fullName} came back without its consumerKey, so a deploy could not keep it.`, { fullName });
    }
    const certificate = text(found, 'certificate');
    return {
      fullName: text(found, 'fullName')!,
      externalClientApplication: text(found, 'externalClientApplication') ?? fullName,
      consumerKey,
      ...(certificate ? { certificate } : {}),
      xml: settingsFile(found),
    };
  }

  async function pauseFor(ms: number): Promise<void> {
    try {
      await deps.sleep(ms, deps.signal);
    } catch (error) {
      if (deps.signal.aborted) {
        const name = deps.signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
        throw new InterruptedError(name, `Interrupted (${name}) while waiting for a Metadata API deploy.`, { cause: error });
      }
      throw error;
    }
  }

  async function status(id: string): Promise<Record<string, unknown>> {
    const url = `${restBase}/${encodeURIComponent(id)}?includeDetails=true`;
    const where = `GET ${restBase}/${id}`;
    const response = await httpRequest({ method: 'GET', url, headers: { authorization: `Bearer ${admin.accessToken}`, accept: 'application/json' }, timeoutMs, retry: RETRY_IDEMPOTENT, service: 'the Salesforce Metadata API' }, deps);
    if (response.status < 200 || response.status >= 300) throw restRefusal(where, response, clean);
    const result = (parseJson(response.text) as { deployResult?: unknown } | undefined)?.deployResult;
    if (typeof result !== 'object' || result === null) throw metadataError('ERR_SF_METADATA_UNAVAILABLE', `${where} answered ${response.status} without a deployResult.`, { endpoint: where, status: response.status });
    return result as Record<string, unknown>;
  }

  async function deployCertificate(request: DeployCertificateRequest): Promise<DeployOutcome> {
    const { settings, certificatePem, checkOnly } = request;
    const boundary = `applink-jwt-${randomBytes(12).toString('hex')}`;
    const where = `POST ${restBase}`;
    // A repeated deploy of the same file has the same effect, so a lost answer may be retried.
    const response = await httpRequest(
      {
        method: 'POST',
        url: restBase,
        headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': `multipart/form-data; boundary=${boundary}`, accept: 'application/json' },
        body: deployRequestBody(deployOptions(checkOnly), deployZip(settings, certificatePem, apiVersion), boundary),
        timeoutMs,
        retry: RETRY_IDEMPOTENT,
        service: 'the Salesforce Metadata API',
      },
      deps,
    );
    if (response.status < 200 || response.status >= 300) throw restRefusal(where, response, clean);
    const id = (parseJson(response.text) as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9]{15,18}$/.test(id)) throw metadataError('ERR_SF_METADATA_UNAVAILABLE', `${where} answered ${response.status} without a deploy id.`, { endpoint: where, status: response.status });
    let result = await status(id);
    request.onStatus?.(statusOf(result, id));
    while (!statusOf(result, id).done) {
      if (deps.now() >= request.deadline) {
        const still = statusOf(result, id).status;
        throw metadataError('ERR_SF_DEPLOY_TIMEOUT', `The ${checkOnly ? 'validate-only ' : ''}deploy ${id} of ${settings.fullName} was still ${still} when the wait ran out.`, { deployId: id, status: still, checkOnly });
      }
      await pauseFor(Math.max(0, Math.min(pollIntervalMs, request.deadline - deps.now())));
      result = await status(id);
      request.onStatus?.(statusOf(result, id));
    }
    const outcome = statusOf(result, id);
    if (!asBoolean(result.success) || outcome.status !== 'Succeeded') {
      const failures = componentFailures(result, clean);
      const problems = failures.map((failure) => `${failure.fullName ?? failure.fileName ?? '?'}: ${failure.problem ?? 'no problem text'}`).join('; ');
      const errorMessage = clean(result.errorMessage);
      throw metadataError('ERR_SF_DEPLOY_FAILED', `The ${checkOnly ? 'validate-only ' : ''}deploy ${id} of ${GLOBAL_OAUTH_TYPE} ${settings.fullName} ended ${outcome.status}${problems ? `: ${problems}` : errorMessage ? `: ${errorMessage}` : ''}.`, {
        deployId: id,
        status: outcome.status,
        checkOnly,
        componentFailures: failures,
        ...(errorMessage ? { errorMessage } : {}),
      });
    }
    // The deploy sends the consumer key read before it; the command reads the settings again and
    // compares (ERR_ROTATE_CONSUMER_KEY_CHANGED), so no second read here.
    return { ...outcome, done: true, success: true };
  }

  return { readSettings, deployCertificate };
}
