import { describe, expect, it } from '@jest/globals';
import type { JwtAuthorizationRequest } from '../../../cli/applink/applink-api.js';
import { addJwtAuthorization, ownedByFacts, type AddJwtAuthorizationOptions } from '../../../cli/applink/jwt-authorization.js';
import { InterruptedError } from '../../../cli/errors.js';
import type { AppLinkTarget } from '../../../cli/applink/platform-api.js';
import { silentProgress } from '../../../cli/deps.js';
import { failure } from '../../support/app-error.js';
import { ADDON_ID, clientDeps, fakeService, PLATFORM_TARGET, type FakeService } from './fake-service.js';

const BASE = `/addons/${ADDON_ID}`;
const POST = `POST ${BASE}/authorizations/salesforce/jwt`;
const BY_NAME = `GET ${BASE}/authorizations/my_org`;
const ID_DELETE = `DELETE ${BASE}/authorizations/${'b8bc7bcb-0000-4000-8000-000000000001'}`;
const OLD_ID = 'a0000000-0000-4000-8000-0000000000aa';
const OLD_DELETE = `DELETE ${BASE}/authorizations/${OLD_ID}`;
const OLD_BY_ID = `GET ${BASE}/authorizations/${OLD_ID}`;
const NOT_FOUND = { status: 404, json: { id: 'record_not_found', message: 'record not found' } };
const ID = 'b8bc7bcb-0000-4000-8000-000000000001';
const BY_ID = `GET ${BASE}/authorizations/${ID}`;
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

const target: AppLinkTarget = { ...PLATFORM_TARGET, sso: 'e30=' };
const request: JwtAuthorizationRequest = { type: 'salesforce', developerName: 'my_org', alias: 'applink:my_org', clientId: 'cid', username: 'ci@example.com', privateKeyPem: 'PEM' };

function auth(status: string, extra: Record<string, unknown> = {}) {
  return { id: ID, status, org: { developer_name: 'my_org', type: 'SalesforceOrg', id: '00D000000000001AAA', user_auth: { access_token: '00D!secret-access-token', username: 'ci@example.com' } }, created_at: new Date(NOW + 5).toISOString(), ...extra };
}

function setup(extra: Partial<AddJwtAuthorizationOptions> = {}) {
  const service = fakeService();
  const client = clientDeps(service);
  const updates: string[] = [];
  const deps = { ...client.deps, progress: { ...silentProgress, update: (text: string) => updates.push(text) } };
  const run = () => addJwtAuthorization({ target, request, replace: false, timeoutMs: 10_000, ...extra }, deps);
  return { service, run, updates, sleeps: client.sleeps };
}

function old(status = 'authorized', extra: Record<string, unknown> = {}) {
  return auth(status, { id: OLD_ID, ...extra });
}

function expectCalls(service: FakeService, calls: string[]) {
  expect(service.calls()).toEqual(calls);
}

describe('addJwtAuthorization', () => {
  it('reads the name, POSTs once, then polls by id until authorized, reporting each state', async () => {
    const { service, run, updates } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('authorizing') });
    service.on(BY_ID, { status: 200, json: auth('authorizing') }, { status: 200, json: auth('authorized') });
    const result = await run();
    expect(result.authorization.status).toBe('authorized');
    expect([result.rotated, result.polls]).toEqual([false, 2]);
    expectCalls(service, [BY_NAME, POST, BY_ID, BY_ID]);
    expect(updates).toEqual(['Waiting for my_org: authorizing', 'Waiting for my_org: authorizing']);
  });

  it('does not poll when the POST already answers authorized', async () => {
    const { service, run } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('authorized') });
    expect((await run()).polls).toBe(0);
    expectCalls(service, [BY_NAME, POST]);
  });

  it('an existing one without replace: ERR_AUTHORIZATION_EXISTS, nothing sent, hint --replace', async () => {
    const { service, run } = setup();
    service.on(BY_NAME, { status: 200, json: old() });
    const error = await failure(run());
    expect([error.code, error.exitCode, error.message, error.hint, error.details?.state]).toEqual([
      'ERR_AUTHORIZATION_EXISTS',
      5,
      'An authorization named my_org already exists on add-on applink-rigid-12345 of app my-app. Nothing was created or changed.',
      'Rerun with --replace to replace it (key rotation), or choose another developer name.',
      'unchanged',
    ]);
    expectCalls(service, [BY_NAME]);
  });

  it('409 on the POST (created by someone after the read) without replace: ERR_AUTHORIZATION_EXISTS, nothing changed', async () => {
    const { service, run } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 409, json: { id: 'conflict', message: 'Authorization already exists' } });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_AUTHORIZATION_EXISTS', 'unchanged']);
    expect(error.message).toBe('An authorization named my_org already exists on add-on applink-rigid-12345 of app my-app. The server said: "Authorization already exists". Nothing was created or changed.');
    expectCalls(service, [BY_NAME, POST]);
  });

  it('replace: DELETE the id read (not the name), POST, poll; reported as a rotation', async () => {
    const { service, run } = setup({ replace: true });
    service.on(BY_NAME, { status: 200, json: old() });
    service.on(OLD_DELETE, { status: 200, json: {} });
    service.on(POST, { status: 202, json: auth('authorizing') });
    service.on(BY_ID, { status: 200, json: auth('authorized') });
    const result = await run();
    expect(result.rotated).toBe(true);
    expectCalls(service, [BY_NAME, OLD_DELETE, POST, BY_ID]);
  });

  it('replace after a 409 (created after the read): reads it again and deletes that id', async () => {
    const { service, run } = setup({ ifExists: 'replace' });
    service.on(BY_NAME, NOT_FOUND, { status: 200, json: old() });
    service.on(POST, { status: 409, json: { id: 'conflict', message: 'exists' } }, { status: 202, json: auth('authorized') });
    service.on(OLD_DELETE, { status: 200, json: {} });
    expect((await run()).rotated).toBe(true);
    expectCalls(service, [BY_NAME, POST, BY_NAME, OLD_DELETE, POST]);
  });

  it('replace whose re-create keeps failing says the old one was removed and not re-created', async () => {
    const { service, run } = setup({ replace: true });
    service.on(BY_NAME, { status: 200, json: old() });
    service.on(OLD_DELETE, { status: 200, json: {} });
    service.on(POST, { status: 422, json: { id: 'validation_failed', message: 'bad' } });
    const error = await failure(run());
    expect(error.code).toBe('ERR_AUTHORIZATION_INVALID');
    expect(error.details?.state).toBe('removed');
    expect(error.message).toBe(
      'The AppLink API rejected the request for my_org: HTTP 422. The server said: "bad". The existing authorization my_org was removed and the new one was not created: my_org no longer exists; run the same command again to create it.',
    );
  });

  it('replace whose DELETE fails leaves the old one intact (checked by id) and says so', async () => {
    const { service, run } = setup({ replace: true });
    service.on(BY_NAME, { status: 200, json: old() });
    service.on(OLD_DELETE, { status: 503, text: '' });
    service.on(OLD_BY_ID, { status: 200, json: old() });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_SERVICE_UNAVAILABLE', 'unchanged']);
    expect(error.message.endsWith('The existing authorization my_org was left intact.')).toBe(true);
    expectCalls(service, [BY_NAME, OLD_DELETE, OLD_DELETE, OLD_DELETE, OLD_DELETE, OLD_BY_ID]);
  });

  it('replace whose DELETE answer was lost but the old one is gone carries on', async () => {
    const { service, run } = setup({ replace: true });
    service.on(BY_NAME, { status: 200, json: old() });
    service.on(POST, { status: 202, json: auth('authorized') });
    service.on(OLD_DELETE, { networkError: 'ECONNRESET' });
    service.on(OLD_BY_ID, NOT_FOUND);
    expect((await run()).rotated).toBe(true);
    expectCalls(service, [BY_NAME, OLD_DELETE, OLD_DELETE, OLD_DELETE, OLD_DELETE, OLD_BY_ID, POST]);
  });

  it('a POST that fails with 5xx is followed by a GET; a new one with the facts sent is ours: no second POST', async () => {
    const { service, run } = setup();
    service.on(POST, { status: 502, text: '<html>bad gateway</html>' });
    service.on(BY_NAME, NOT_FOUND, { status: 200, json: auth('authorizing', { alias: 'applink:my_org', client_id: 'cid' }) });
    service.on(BY_ID, { status: 200, json: auth('authorized') });
    await run();
    expectCalls(service, [BY_NAME, POST, BY_NAME, BY_ID]);
  });

  it('ownership never depends on clocks: a created_at far in the past or future changes nothing', async () => {
    for (const createdAt of ['2001-01-01T00:00:00Z', '2099-01-01T00:00:00Z']) {
      const { service, run } = setup();
      service.on(POST, { networkError: 'ECONNRESET' });
      service.on(BY_NAME, NOT_FOUND, { status: 200, json: auth('authorized', { alias: 'applink:my_org', created_at: createdAt }) });
      expect((await run()).authorization.id).toBe(ID);
    }
  });

  it('a lost answer, then one with other facts: someone else\'s, a conflict; this run created nothing', async () => {
    const { service, run } = setup();
    service.on(POST, { networkError: 'ECONNRESET' });
    service.on(BY_NAME, NOT_FOUND, { status: 200, json: auth('authorizing', { alias: 'applink:other' }) });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_AUTHORIZATION_EXISTS', 'unchanged']);
    expect(error.message).toContain(`Another authorization my_org (id ${ID}) with other settings was created meanwhile by someone else; this run created nothing.`);
  });

  it('a lost answer, then one whose answer has too few facts: undecided, non-zero with the state', async () => {
    const { service, run } = setup();
    service.on(POST, { networkError: 'ECONNRESET' });
    service.on(BY_NAME, NOT_FOUND, { status: 200, json: { id: ID, status: 'authorizing', org: { developer_name: 'my_org' } } });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_NETWORK', 'unknown']);
    expect(error.message).toContain(`An authorization my_org (id ${ID}, authorizing) now exists, but the AppLink API's answer has too few facts (alias, username, client id) to tell whether this run created it`);
  });

  it('a POST that fails with a network error, GET finds nothing: POST again', async () => {
    const { service, run } = setup();
    service.on(POST, { networkError: 'ECONNRESET' }, { status: 202, json: auth('authorized') });
    service.on(BY_NAME, NOT_FOUND);
    await run();
    expectCalls(service, [BY_NAME, POST, BY_NAME, POST]);
  });

  it('a POST that fails when the name was taken before it: the id read before, a conflict, not success', async () => {
    const { service, run } = setup({ ifExists: 'skip' });
    service.on(BY_NAME, { status: 200, json: old('failed') });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_AUTHORIZATION_EXISTS', 'unchanged']);
    expect(error.message).toContain('--if-exists skip does not apply: the existing one is failed, not authorized.');
  });

  it('--if-exists skip leaves an authorized one of the same org, client id and username alone: no POST, no DELETE', async () => {
    const { service, run } = setup({ ifExists: 'skip', expectedOrgId: '00D000000000001' });
    service.on(BY_NAME, { status: 200, json: old('authorized', { client_id: 'cid' }) });
    const result = await run();
    expect([result.skipped, result.authorization.id]).toEqual([true, OLD_ID]);
    expectCalls(service, [BY_NAME]);
  });

  it.each([
    ['another client id', { client_id: 'other' }, 'the existing one uses another client id'],
    ['no client id in the answer', {}, 'the AppLink API does not say which client id the existing one uses'],
    ['another username', { client_id: 'cid', org: { developer_name: 'my_org', type: 'SalesforceOrg', id: '00D000000000001AAA', username: 'x@example.com' } }, 'the existing one uses username x@example.com'],
    ['another org', { client_id: 'cid', org: { developer_name: 'my_org', type: 'SalesforceOrg', id: '00D000000000009AAA', username: 'ci@example.com' } }, 'the existing one is for org 00D000000000009AAA, the key logs in to 00D000000000001'],
  ])('--if-exists skip does not skip one with %s', async (_what, extra, reason) => {
    const { service, run } = setup({ ifExists: 'skip', expectedOrgId: '00D000000000001' });
    service.on(BY_NAME, { status: 200, json: old('authorized', extra) });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_AUTHORIZATION_EXISTS', 'unchanged']);
    expect(error.message).toContain(`--if-exists skip does not apply: ${reason}.`);
    expectCalls(service, [BY_NAME]);
  });

  it('a POST that keeps failing: bounded attempts, each checked; nothing created', async () => {
    const { service, run, sleeps } = setup();
    service.on(POST, { status: 503, text: '' });
    service.on(BY_NAME, NOT_FOUND);
    const error = await failure(run());
    expect([error.code, error.exitCode, error.details?.state]).toEqual(['ERR_SERVICE_UNAVAILABLE', 8, 'unchanged']);
    expect(error.message.endsWith('No authorization named my_org exists (checked), so nothing was created.')).toBe(true);
    expectCalls(service, [BY_NAME, POST, BY_NAME, POST, BY_NAME, POST, BY_NAME, POST, BY_NAME]);
    // A wait between attempts, none after the last one (a mutation survivor).
    expect(sleeps).toHaveLength(3);
  });

  it('429 on every POST: four POSTs, a wait between them and none after the last, no check', async () => {
    const { service, run, sleeps } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 429, text: '', headers: { 'retry-after': '1' } });
    const error = await failure(run());
    expect(error.details?.state).toBe('unchanged');
    expectCalls(service, [BY_NAME, POST, POST, POST, POST]);
    expect(sleeps).toEqual([1000, 1000, 1000]);
  });

  it.each([['1', 1000], ['-5', 250], ['soon', 250]])('429 on the POST with Retry-After %p is retried after a back-off without a check', async (retryAfter, delay) => {
    const { service, run, sleeps } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 429, text: '', headers: { 'retry-after': retryAfter } }, { status: 202, json: auth('authorized') });
    await run();
    expectCalls(service, [BY_NAME, POST, POST]);
    expect(sleeps.length).toBe(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(delay / 2);
    expect(sleeps[0]).toBeLessThanOrEqual(delay);
  });

  it('failed: re-reads the new authorization by id, removes it by id, gives the server message and the Salesforce hint', async () => {
    const { service, run } = setup({ salesforceHint: (message) => (message.includes("hasn't approved") ? 'Pre-authorize the user.' : undefined) });
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('authorizing') });
    service.on(BY_ID, { status: 200, json: auth('failed', { error: { id: 'authentication_failed', message: "invalid_grant: user hasn't approved this consumer" } }) });
    service.on(ID_DELETE, { status: 200, json: {} });
    const error = await failure(run());
    expect([error.code, error.exitCode, error.hint, error.details]).toEqual([
      'ERR_AUTHORIZATION_FAILED',
      6,
      'Pre-authorize the user.',
      { developerName: 'my_org', status: 'failed', state: 'unchanged', errorId: 'authentication_failed' },
    ]);
    expect(error.message).toBe("Authorization my_org ended failed: invalid_grant: user hasn't approved this consumer. The failed authorization was removed again, so the add-on is as it was.");
    expectCalls(service, [BY_NAME, POST, BY_ID, BY_ID, ID_DELETE]);
  });

  it('failed, but gone when re-read (replaced by someone else meanwhile): nothing deleted, never reported removed', async () => {
    const { service, run } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('authorizing') });
    service.on(BY_ID, { status: 200, json: auth('failed') }, NOT_FOUND);
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_AUTHORIZATION_FAILED', 'unknown']);
    expect(error.message).toContain(`It was not removed by this run: it was already gone (id ${ID}), removed or replaced by someone else`);
    expectCalls(service, [BY_NAME, POST, BY_ID, BY_ID]);
  });

  it('failed, and the DELETE by id answers 404: not reported removed', async () => {
    const { service, run } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('failed') });
    service.on(BY_ID, { status: 200, json: auth('failed') });
    service.on(ID_DELETE, NOT_FOUND);
    const error = await failure(run());
    expect(error.details?.state).toBe('unknown');
    expect(error.message).not.toContain('removed again');
  });

  it.each(['disconnected', 'error'])('%s is a failure, never success: exit 6, the new authorization removed again', async (status) => {
    const { service, run } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('authorizing') });
    service.on(BY_ID, { status: 200, json: auth(status, { error: { id: 'connection_lost', message: 'The org connection was lost' } }) });
    service.on(ID_DELETE, { status: 200, json: {} });
    const error = await failure(run());
    expect([error.code, error.exitCode, error.details]).toEqual(['ERR_AUTHORIZATION_FAILED', 6, { developerName: 'my_org', status, state: 'unchanged', errorId: 'connection_lost' }]);
    expect(error.message).toBe(`Authorization my_org ended ${status}: The org connection was lost. The ${status} authorization was removed again, so the add-on is as it was.`);
    expectCalls(service, [BY_NAME, POST, BY_ID, BY_ID, ID_DELETE]);
  });

  it('disconnected straight from the POST is a failure too (no poll)', async () => {
    const { service, run } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('disconnected') });
    service.on(BY_ID, { status: 200, json: auth('disconnected') });
    service.on(ID_DELETE, { status: 200, json: {} });
    const error = await failure(run());
    expect([error.code, error.exitCode, error.details?.status]).toEqual(['ERR_AUTHORIZATION_FAILED', 6, 'disconnected']);
    expectCalls(service, [BY_NAME, POST, BY_ID, ID_DELETE]);
  });

  it.each([
    [401, 'unauthorized', 'ERR_APPLINK_AUTH'],
    [422, 'validation_failed', 'ERR_AUTHORIZATION_INVALID'],
  ])('a plain %i on the first POST: exactly one POST, no check, no retry; nothing changed', async (status, id, code) => {
    const { service, run, sleeps } = setup();
    // Were the refusal taken for an uncertain outcome, the check would find nothing and POST again.
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status, json: { id, message: 'refused' } });
    const error = await failure(run());
    expectCalls(service, [BY_NAME, POST]);
    expect(sleeps).toEqual([]);
    expect([error.code, error.details?.state, error.details?.status]).toEqual([code, 'unchanged', status]);
    expect(error.message.endsWith('Nothing was created or changed.')).toBe(true);
  });

  it('times out with the state it was left in', async () => {
    const { service, run } = setup({ timeoutMs: 1000 });
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('authorizing') });
    service.on(BY_ID, { status: 200, json: auth('authorizing') });
    const error = await failure(run());
    expect([error.code, error.exitCode, error.details?.state]).toEqual(['ERR_AUTHORIZATION_TIMEOUT', 7, 'created']);
    expect(error.message).toBe('Authorization my_org was still authorizing after 1 s (--timeout); it was left authorizing on the add-on.');
    expect(error.hint).toBe('It may still finish: check it with applink-jwt info my_org -a my-app; raise --timeout, or remove it with applink-jwt remove my_org -a my-app --yes.');
  });

  it('keeps polling through transient poll failures', async () => {
    const { service, run } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('authorizing') });
    service.on(BY_ID, { status: 503, text: '' }, { status: 503, text: '' }, { status: 503, text: '' }, { status: 503, text: '' }, { status: 200, json: auth('authorized') });
    expect((await run()).authorization.status).toBe('authorized');
  });

  it('an interrupt while polling says the authorization was created and not settled', async () => {
    const controller = new AbortController();
    const service = fakeService();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('authorizing') });
    const deps = {
      ...clientDeps(service).deps,
      signal: controller.signal,
      progress: silentProgress,
      sleep: async () => {
        controller.abort('SIGTERM');
        throw 'SIGTERM';
      },
    };
    const error = await failure(addJwtAuthorization({ target, request, replace: false, timeoutMs: 10_000 }, deps));
    expect([error.code, error.exitCode, error.details?.state]).toEqual(['ERR_TERMINATED', 143, 'created']);
    expect(error.message).toBe(`Interrupted (SIGTERM) while authorizing. Authorization my_org was created (id ${ID}) and had not settled; check it with applink-jwt info my_org -a my-app.`);
  });
});

/** The paths the mutation run found untested: each asserts the outcome, the exit code and the state left. */
describe('addJwtAuthorization: every outcome says what it left (mutation survivors)', () => {
  const DC_REQUEST: JwtAuthorizationRequest = { ...request, type: 'datacloud' };
  const DC_POST = `POST ${BASE}/authorizations/datacloud/jwt`;
  const GONE_AFTER_REPLACE = 'The existing authorization my_org was removed, and another one of that name was created meanwhile by someone else.';

  it('--replace whose POST still answers 409 (someone re-created the name after the DELETE): exit non-zero, state unknown', async () => {
    const { service, run } = setup({ replace: true });
    service.on(BY_NAME, { status: 200, json: old() });
    service.on(OLD_DELETE, { status: 200, json: {} });
    service.on(POST, { status: 409, json: { id: 'conflict', message: 'exists' } });
    const error = await failure(run());
    expect([error.code, error.exitCode, error.details?.state]).toEqual(['ERR_AUTHORIZATION_EXISTS', 5, 'unknown']);
    expect(error.message.endsWith(GONE_AFTER_REPLACE)).toBe(true);
    expectCalls(service, [BY_NAME, OLD_DELETE, POST]);
  });

  it('--if-exists replace after a 409, the second POST 409 too: state unknown, no third POST', async () => {
    const { service, run } = setup({ ifExists: 'replace' });
    service.on(BY_NAME, NOT_FOUND, { status: 200, json: old() });
    service.on(POST, { status: 409, json: { id: 'conflict', message: 'exists' } });
    service.on(OLD_DELETE, { status: 200, json: {} });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_AUTHORIZATION_EXISTS', 'unknown']);
    expect(error.message.endsWith(GONE_AFTER_REPLACE)).toBe(true);
    expectCalls(service, [BY_NAME, POST, BY_NAME, OLD_DELETE, POST]);
  });

  it('--if-exists replace after a 409 whose holder is gone again when read: no DELETE, POST again, a rotation', async () => {
    const { service, run } = setup({ ifExists: 'replace' });
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 409, json: { id: 'conflict', message: 'exists' } }, { status: 202, json: auth('authorized') });
    const result = await run();
    expect([result.rotated, result.authorization.id]).toEqual([true, ID]);
    expectCalls(service, [BY_NAME, POST, BY_NAME, POST]);
  });

  it('--if-exists replace after a 409, old one deleted, the new POST refused: the name no longer exists (state removed)', async () => {
    const { service, run } = setup({ ifExists: 'replace' });
    service.on(BY_NAME, NOT_FOUND, { status: 200, json: old() });
    service.on(POST, { status: 409, json: { id: 'conflict', message: 'exists' } }, { status: 422, json: { id: 'validation_failed', message: 'bad' } });
    service.on(OLD_DELETE, { status: 200, json: {} });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_AUTHORIZATION_INVALID', 'removed']);
    expect(error.message.endsWith('The existing authorization my_org was removed and the new one was not created: my_org no longer exists; run the same command again to create it.')).toBe(true);
  });

  it('--replace whose DELETE fails and whose check fails too: may or may not have been removed (state unknown), no POST', async () => {
    const { service, run } = setup({ replace: true });
    service.on(BY_NAME, { status: 200, json: old() });
    service.on(OLD_DELETE, { status: 503, text: '' });
    service.on(OLD_BY_ID, { status: 503, text: '' });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_SERVICE_UNAVAILABLE', 'unknown']);
    expect(error.message.endsWith('The existing authorization my_org may or may not have been removed: check with applink-jwt info my_org -a my-app.')).toBe(true);
    expect(service.calls()).not.toContain(POST);
  });

  it('--replace, then a lost POST answer and the check finds the old id still there: not ours, state unknown, no second POST', async () => {
    const { service, run } = setup({ replace: true });
    service.on(BY_NAME, { status: 200, json: old() });
    service.on(OLD_DELETE, { status: 200, json: {} });
    service.on(POST, { networkError: 'ECONNRESET' });
    const error = await failure(run());
    expect([error.code, error.exitCode, error.details?.state]).toEqual(['ERR_AUTHORIZATION_EXISTS', 5, 'unknown']);
    expect(error.message).toBe(`An authorization named my_org already exists on add-on applink-rigid-12345 of app my-app. The server said: "Authorization already exists". ${GONE_AFTER_REPLACE}`);
    expect(error.details).toEqual({ status: 409, id: 'conflict', state: 'unknown' });
    expectCalls(service, [BY_NAME, OLD_DELETE, POST, BY_NAME]);
  });

  it('--if-exists replace after a 409: a 5xx on the second POST, then the check finds the id it deleted: a conflict, never success', async () => {
    const { service, run } = setup({ ifExists: 'replace' });
    service.on(BY_NAME, NOT_FOUND, { status: 200, json: old() }, { status: 200, json: old() });
    service.on(POST, { status: 409, json: { id: 'conflict', message: 'exists' } }, { status: 503, text: '' });
    service.on(OLD_DELETE, { status: 200, json: {} });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_AUTHORIZATION_EXISTS', 'unknown']);
    expectCalls(service, [BY_NAME, POST, BY_NAME, OLD_DELETE, POST, BY_NAME]);
  });

  it('a 5xx, then a 409 on the retry, and the check finds the id read before: the real 409 is reported, nothing created', async () => {
    const { service, run } = setup({ ifExists: 'replace' });
    service.on(BY_NAME, NOT_FOUND, { status: 200, json: old() }, NOT_FOUND, { status: 200, json: old() });
    service.on(POST, { status: 409, json: { id: 'conflict', message: 'exists' } }, { status: 503, text: '' }, { status: 409, json: { id: 'conflict', message: 'taken again' } });
    service.on(OLD_DELETE, { status: 200, json: {} });
    const error = await failure(run());
    expect(error.details?.state).toBe('unknown');
    expect(error.message).toContain('The server said: "taken again"');
    expectCalls(service, [BY_NAME, POST, BY_NAME, OLD_DELETE, POST, BY_NAME, POST, BY_NAME]);
  });

  it('--if-exists skip: the result says skipped, not rotated, no polls', async () => {
    const { service, run } = setup({ ifExists: 'skip' });
    service.on(BY_NAME, { status: 200, json: old('authorized', { client_id: 'cid' }) });
    expect(await run()).toEqual({ authorization: old('authorized', { client_id: 'cid' }), rotated: false, skipped: true, polls: 0 });
  });

  it('--if-exists skip compares org ids on 15 characters, whichever form the key logs in with', async () => {
    for (const expectedOrgId of ['00D000000000001AAA', '00D000000000001']) {
      const { service, run } = setup({ ifExists: 'skip', expectedOrgId });
      service.on(BY_NAME, { status: 200, json: old('authorized', { client_id: 'cid' }) });
      expect((await run()).skipped).toBe(true);
    }
  });

  it.each([
    ['another org type', { client_id: 'cid', org: { developer_name: 'my_org', type: 'DataCloudOrg', id: '00D000000000001AAA', username: 'ci@example.com' } }, 'the existing one is DataCloudOrg, not salesforce'],
    ['no username in the answer', { client_id: 'cid', org: { developer_name: 'my_org', type: 'SalesforceOrg', id: '00D000000000001AAA' } }, 'the AppLink API does not say which username the existing one uses'],
    ['a client id that is not text', { client_id: 42 }, 'the AppLink API does not say which client id the existing one uses'],
    ['no org id in the answer', { client_id: 'cid', org: { developer_name: 'my_org', type: 'SalesforceOrg', username: 'ci@example.com' } }, 'the AppLink API does not say which org the existing one is for'],
    ['a null org id', { client_id: 'cid', org: { developer_name: 'my_org', type: 'SalesforceOrg', id: null, username: 'ci@example.com' } }, 'the AppLink API does not say which org the existing one is for'],
  ])('--if-exists skip does not skip one with %s', async (_what, extra, reason) => {
    const { service, run } = setup({ ifExists: 'skip', expectedOrgId: '00D000000000001' });
    service.on(BY_NAME, { status: 200, json: old('authorized', extra) });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_AUTHORIZATION_EXISTS', 'unchanged']);
    expect(error.message).toContain(`--if-exists skip does not apply: ${reason}.`);
    expectCalls(service, [BY_NAME]);
  });

  it('--if-exists skip without a preflight org id skips on type, username and client id alone', async () => {
    const { service, run } = setup({ ifExists: 'skip' });
    service.on(BY_NAME, { status: 200, json: old('authorized', { client_id: 'cid', org: { developer_name: 'my_org', type: 'SalesforceOrg', id: '00D000000000009AAA', user_auth: { username: 'CI@example.com' } } }) });
    expect((await run()).skipped).toBe(true);
  });

  it('--if-exists skip of a Data Cloud authorization accepts the legacy DatacloudOrg type, and refuses a SalesforceOrg one', async () => {
    const dc = setup({ ifExists: 'skip', request: DC_REQUEST });
    dc.service.on(BY_NAME, { status: 200, json: old('authorized', { client_id: 'cid', org: { developer_name: 'my_org', type: 'DatacloudOrg', username: 'ci@example.com' } }) });
    expect((await dc.run()).skipped).toBe(true);
    const sf = setup({ ifExists: 'skip', request: DC_REQUEST });
    sf.service.on(BY_NAME, { status: 200, json: old('authorized', { client_id: 'cid' }) });
    expect((await failure(sf.run())).message).toContain('--if-exists skip does not apply: the existing one is SalesforceOrg, not datacloud.');
    expect(dc.service.calls()).not.toContain(DC_POST);
  });

  it('a poll refused with 401 stops at once: the refusal, state created (never waits out the timeout)', async () => {
    const { service, run, sleeps } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('authorizing') });
    service.on(BY_ID, { status: 401, json: { id: 'unauthorized', message: 'token expired' } });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_APPLINK_AUTH', 'created']);
    expect(error.message.endsWith(`Authorization my_org was created (id ${ID}) and had not settled; check it with applink-jwt info my_org -a my-app.`)).toBe(true);
    expect(sleeps).toHaveLength(1);
  });

  it('an authorization that disappears while polled: ERR_AUTHORIZATION_GONE, exit 6, state unknown (not "created"), says to run again', async () => {
    const { service, run } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('authorizing') });
    service.on(BY_ID, NOT_FOUND);
    const error = await failure(run());
    expect([error.code, error.exitCode, error.message, error.hint, error.details]).toEqual([
      'ERR_AUTHORIZATION_GONE',
      6,
      'Authorization my_org disappeared while waiting for it to settle (it was authorizing).',
      'Someone or something removed it meanwhile; run the command again.',
      { developerName: 'my_org', state: 'unknown' },
    ]);
    expectCalls(service, [BY_NAME, POST, BY_ID]);
  });

  it('tells the progress line the deadline of every wait', async () => {
    const service = fakeService();
    const client = clientDeps(service);
    const waits: unknown[] = [];
    const deps = { ...client.deps, progress: { ...silentProgress, update: (_text: string, wait?: unknown) => waits.push(wait) } };
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('authorizing') });
    service.on(BY_ID, { status: 200, json: auth('authorizing') }, { status: 200, json: auth('authorized') });
    await addJwtAuthorization({ target, request, replace: false, timeoutMs: 10_000 }, deps);
    expect(waits).toEqual([{ deadline: NOW + 10_000 }, { deadline: NOW + 10_000 }]);
  });

  it('failed without a reason from the server says so', async () => {
    const { service, run } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('failed') });
    service.on(BY_ID, { status: 200, json: auth('failed') });
    service.on(ID_DELETE, { status: 200, json: {} });
    const error = await failure(run());
    expect(error.message).toBe('Authorization my_org ended failed (the AppLink API gave no reason). The failed authorization was removed again, so the add-on is as it was.');
    expect(error.hint).toBe('Run applink-jwt verify with the same key, --client-id, --username and --login-url to see what Salesforce answers, fix it, and run again.');
  });

  it('failed, but authorized when re-read: kept, never deleted (state failed-kept)', async () => {
    const { service, run } = setup();
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('failed') });
    service.on(BY_ID, { status: 200, json: auth('authorized') });
    const error = await failure(run());
    expect([error.code, error.exitCode, error.details?.state]).toEqual(['ERR_AUTHORIZATION_FAILED', 6, 'failed-kept']);
    expect(error.message).toBe('Authorization my_org ended failed (the AppLink API gave no reason). The failed authorization is still on the add-on: remove it with applink-jwt remove my_org -a my-app --yes.');
    expectCalls(service, [BY_NAME, POST, BY_ID]);
  });

  it('failed after --replace removed the old one: removed too, so the name no longer exists (state removed)', async () => {
    const { service, run } = setup({ replace: true });
    service.on(BY_NAME, { status: 200, json: old() });
    service.on(OLD_DELETE, { status: 200, json: {} });
    service.on(POST, { status: 202, json: auth('failed') });
    service.on(BY_ID, { status: 200, json: auth('failed') });
    service.on(ID_DELETE, { status: 200, json: {} });
    const error = await failure(run());
    expect([error.code, error.details?.state]).toEqual(['ERR_AUTHORIZATION_FAILED', 'removed']);
    expect(error.message).toBe('Authorization my_org ended failed (the AppLink API gave no reason). The failed authorization was removed; the previous one had already been removed by --replace, so my_org no longer exists.');
  });

  it('logs each POST retry: the status or the network error, the attempt about to be made and the most there will be', async () => {
    const service = fakeService();
    const client = clientDeps(service);
    const retries: unknown[] = [];
    const deps = { ...client.deps, progress: silentProgress, httpLog: { exchange() {}, retry: (event: unknown) => retries.push(event) } };
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 429, text: '', headers: { 'retry-after': '1' } }, { status: 503, text: '' }, { networkError: 'ECONNRESET' }, { status: 202, json: auth('authorized') });
    await addJwtAuthorization({ target, request, replace: false, timeoutMs: 10_000 }, deps);
    expect(retries).toEqual([
      { service: 'the AppLink API', reason: 429, delayMs: 1000, attempt: 2, attempts: 4 },
      { service: 'the AppLink API', reason: 503, delayMs: client.sleeps[1], attempt: 3, attempts: 4 },
      { service: 'the AppLink API', reason: 'ERR_NETWORK', delayMs: client.sleeps[2], attempt: 4, attempts: 4 },
    ]);
  });

  it('a POST that times out is uncertain like a lost answer: checked, then sent again', async () => {
    const service = fakeService();
    const client = clientDeps(service);
    let posts = 0;
    const fetch = ((input: string | URL | Request, init: RequestInit = {}) => {
      if (init.method === 'POST' && (posts += 1) === 1) {
        service.requests.push({ method: 'POST', url: String(input), path: new URL(String(input)).pathname, headers: {} });
        return new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
      }
      return service.fetch(input, init);
    }) as typeof service.fetch;
    // A fake clock that sleeps do not move: the deadline bounds the POST's own timeout to 50 real ms.
    const deps = { ...client.deps, fetch, sleep: async () => {}, deadlineAt: NOW + 50, progress: silentProgress };
    service.on(BY_NAME, NOT_FOUND);
    service.on(POST, { status: 202, json: auth('authorized') });
    expect((await addJwtAuthorization({ target, request, replace: false, timeoutMs: 10_000 }, deps)).authorization.status).toBe('authorized');
    expectCalls(service, [BY_NAME, POST, BY_NAME, POST]);
  });

  describe('interrupted', () => {
    function interruptedRun(reason: string | undefined, when: 'start' | 'delete-retry', extra: Partial<AddJwtAuthorizationOptions> = {}) {
      const controller = new AbortController();
      const service = fakeService();
      if (when === 'start') controller.abort(reason);
      const deps = {
        ...clientDeps(service).deps,
        signal: controller.signal,
        progress: silentProgress,
        sleep: async () => {
          controller.abort(reason);
          throw reason;
        },
      };
      return { service, run: () => addJwtAuthorization({ target, request, replace: false, timeoutMs: 10_000, ...extra }, deps) };
    }

    it('by SIGINT before anything was sent: exit 130, nothing sent', async () => {
      const { service, run } = interruptedRun('SIGINT', 'start');
      const error = await failure(run());
      expect([error.code, error.exitCode, error.details]).toEqual(['ERR_INTERRUPTED', 130, { developerName: 'my_org', state: 'unchanged' }]);
      expect(error.message).toBe('Interrupted (SIGINT) before the authorization was sent. Nothing was sent to the AppLink API; no authorization was created or changed.');
      expect(error.hint).toBe('It is safe to run the same command again (add --replace if the authorization now exists).');
      expect(service.calls()).toEqual([]);
    });

    it('while --replace retries the DELETE: may or may not have been removed (state unknown)', async () => {
      const { service, run } = interruptedRun('SIGINT', 'delete-retry', { replace: true });
      service.on(BY_NAME, { status: 200, json: old() });
      service.on(OLD_DELETE, { status: 503, text: '' });
      const error = await failure(run());
      expect([error.code, error.details?.state]).toEqual(['ERR_INTERRUPTED', 'unknown']);
      expect(error.message).toBe('Interrupted (SIGINT) while authorizing. The existing authorization my_org may or may not have been removed: check with applink-jwt info my_org -a my-app.');
      expectCalls(service, [BY_NAME, OLD_DELETE]);
    });

    it('while the DELETE of --if-exists replace after a 409 is retried: may or may not have been removed (state unknown)', async () => {
      const { service, run } = interruptedRun('SIGINT', 'delete-retry', { ifExists: 'replace' });
      service.on(BY_NAME, NOT_FOUND, { status: 200, json: old() });
      service.on(POST, { status: 409, json: { id: 'conflict', message: 'exists' } });
      service.on(OLD_DELETE, { status: 503, text: '' });
      const error = await failure(run());
      expect([error.code, error.details?.state]).toEqual(['ERR_INTERRUPTED', 'unknown']);
      expect(error.message).toBe('Interrupted (SIGINT) while authorizing. The existing authorization my_org may or may not have been removed: check with applink-jwt info my_org -a my-app.');
      expectCalls(service, [BY_NAME, POST, BY_NAME, OLD_DELETE]);
    });

    it('while the DELETE of --replace is checked: keeps the state that check recorded', async () => {
      const { service, run } = interruptedRun('SIGTERM', 'delete-retry', { replace: true });
      service.on(BY_NAME, { status: 200, json: old() });
      service.on(OLD_DELETE, { status: 403, json: { id: 'forbidden', message: 'no' } });
      service.on(OLD_BY_ID, { status: 503, text: '' });
      const error = await failure(run());
      expect([error.code, error.exitCode, error.details?.state]).toEqual(['ERR_TERMINATED', 143, 'unknown']);
      expect(error.message).toBe('Interrupted (SIGTERM) while authorizing.');
    });

    it('an InterruptedError for SIGTERM from a dependency is SIGTERM even when the signal says nothing', async () => {
      const service = fakeService();
      service.on(BY_NAME, NOT_FOUND);
      service.on(POST, { status: 202, json: auth('authorizing') });
      const deps = {
        ...clientDeps(service).deps,
        progress: silentProgress,
        sleep: async () => {
          throw new InterruptedError('SIGTERM', 'Interrupted (SIGTERM).');
        },
      };
      const error = await failure(addJwtAuthorization({ target, request, replace: false, timeoutMs: 10_000 }, deps));
      expect([error.code, error.exitCode, error.details?.state]).toEqual(['ERR_TERMINATED', 143, 'created']);
    });
  });
});

describe('ownedByFacts: is the authorization found after a lost answer the one this run created?', () => {
  const found = (extra: Record<string, unknown> = {}, org: Record<string, unknown> = {}) =>
    ({ id: ID, status: 'authorizing', org: { developer_name: 'my_org', type: 'SalesforceOrg', ...org }, ...extra }) as Parameters<typeof ownedByFacts>[0];

  it.each([
    ['the name and the alias sent', found({ alias: 'applink:my_org' }), request, 'yes'],
    ['the name and the client id sent', found({ client_id: 'cid' }), request, 'yes'],
    ['the name and the username sent, in another case', found({}, { username: 'CI@Example.com' }), request, 'yes'],
    ['the name alone', found(), request, 'undecided'],
    ['the name and a login URL, none sent', found({ login_url: 'https://login.salesforce.com' }), request, 'undecided'],
    ['the name and the login URL sent', found({ login_url: 'https://test.salesforce.com' }), { ...request, loginUrl: 'https://test.salesforce.com' }, 'undecided'],
    ['another developer name', found({ alias: 'applink:my_org' }, { developer_name: 'other' }), request, 'no'],
    ['another alias', found({ alias: 'applink:x' }), request, 'no'],
    ['another client id', found({ alias: 'applink:my_org', client_id: 'x' }), request, 'no'],
    ['another username', found({ alias: 'applink:my_org' }, { username: 'x@example.com' }), request, 'no'],
    ['another type', found({ alias: 'applink:my_org' }, { type: 'DataCloudOrg' }), request, 'no'],
    ['the login URL sent, with a trailing slash', found({ alias: 'applink:my_org', login_url: 'https://test.salesforce.com/' }), { ...request, loginUrl: 'https://test.salesforce.com//' }, 'yes'],
    ['the login URL sent, the other without a trailing slash', found({ alias: 'applink:my_org', login_url: 'https://test.salesforce.com/' }), { ...request, loginUrl: 'https://test.salesforce.com' }, 'yes'],
    ['a login URL sent, none in the answer', found({ alias: 'applink:my_org' }), { ...request, loginUrl: 'https://test.salesforce.com' }, 'yes'],
    ['another login URL', found({ alias: 'applink:my_org', login_url: 'https://login.salesforce.com' }), { ...request, loginUrl: 'https://test.salesforce.com' }, 'no'],
    ['a login URL when none was sent', found({ alias: 'applink:my_org', login_url: 'https://login.salesforce.com' }), request, 'yes'],
  ])('%s', (_what, authorization, sent, expected) => {
    expect(ownedByFacts(authorization, sent)).toBe(expected);
  });
});
