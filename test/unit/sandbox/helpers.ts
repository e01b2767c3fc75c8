/**
 * Helpers for the sandbox tests: the fixture key pairs, assertions with arbitrary claims (signed
 * with jose's CompactSign so a claim may have any JSON type), and small HTTP calls that return
 * status, headers and the parsed body.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CompactSign } from 'jose';
import { ROOT } from '../../support/harness.js';
import type { Sandbox } from '../../../cli/sandbox/server.js';

export interface FixtureKey {
  pem: string;
  key: KeyObject;
  certificate: string;
}

/** `a`: PKCS#8 key; `b`: PKCS#1 key; each with its self-signed certificate. */
export function fixtureKey(name: 'a' | 'b'): FixtureKey {
  const pem = readFileSync(`${ROOT}test/fixtures/sandbox/key-${name}.pem`, 'utf8');
  return { pem, key: createPrivateKey(pem), certificate: readFileSync(`${ROOT}test/fixtures/sandbox/key-${name}.crt`, 'utf8') };
}

export const FROZEN_NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
export const NOW_SECONDS = FROZEN_NOW / 1000;

/** An RS256 compact JWS over `claims` exactly as given (header `{"alg":"RS256"}` unless overridden). */
export async function assertion(claims: Record<string, unknown>, key: KeyObject, header: Record<string, unknown> = { alg: 'RS256' }): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader(header as { alg: string }).sign(key);
}

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** POSTs a form body. */
export async function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  return answer(await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() }));
}

/** Any request; `json` is serialised with a JSON content type. */
export async function call(method: string, url: string, options: { headers?: Record<string, string>; json?: unknown; body?: string } = {}): Promise<Answer> {
  const headers = { ...(options.json === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers };
  const body = options.json === undefined ? options.body : JSON.stringify(options.json);
  return answer(await fetch(url, { method, headers, body }));
}

/** Standard claims for the default org's app and user. */
export function defaultClaims(sandbox: Sandbox, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const env = sandbox.env();
  return { iss: env.SF_CLIENT_ID, sub: env.SF_USERNAME, aud: 'https://login.salesforce.com', exp: NOW_SECONDS + 180, ...overrides };
}

/** The Platform API headers the plugin sends: the bearer, and the API version (`3.sdk` for the SSO call). */
export function platformHeaders(sandbox: Sandbox, path = ''): Record<string, string> {
  return { authorization: `Bearer ${sandbox.env().HEROKU_API_KEY}`, accept: `application/vnd.heroku+json; version=${path.endsWith('/sso') ? '3.sdk' : '3'}` };
}

/** The AppLink headers the plugin and the SDK send. */
export function applinkHeaders(sandbox: Sandbox, extra: Record<string, string> = {}): Record<string, string> {
  const env = sandbox.env();
  return { authorization: `Bearer ${env.HEROKU_APPLINK_TOKEN}`, 'x-app-uuid': env.HEROKU_APP_ID!, accept: 'application/json', ...extra };
}

/** Polls until `predicate` holds (the settle delay runs in real time). */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
