/**
 * The CircleCI API v2 contexts double: Circle-Token first (401 `You must log in first.`), the
 * context list by owner slug or id (paged, next_page_token), PUT of a variable answering
 * {variable, created_at, updated_at, context_id} with created_at kept and updated_at moved, the
 * variable list (names only, never values), 404 `{message}` for an unknown context, its own host,
 * the request log without the token or the value, and the stored values for tests.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CIRCLECI_PAGE_SIZE, CircleciState } from '../../../cli/sandbox/circleci.js';
import { startSandbox, type Sandbox } from '../../../cli/sandbox/server.js';
import { keyFingerprint } from '../../../cli/sandbox/state.js';
import { call, fixtureKey } from './helpers.js';

const TOKEN = 'CCIPAT_test_circleci_token_0123456789';
const ORG_ID = '0c8f0a86-1f4e-4d0e-9a57-5d3a2c1b0e9f';
const CONTEXT_ID = 'b2f1c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
let clock = Date.UTC(2026, 11, 1, 12, 0, 0);
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    now: () => clock,
    state: {
      orgs: [],
      apps: [],
      circleci: {
        token: TOKEN,
        organizations: [
          { slug: 'gh/acme', id: ORG_ID, contexts: [{ name: 'applink-jwt', id: CONTEXT_ID, variables: { SF_USERNAME: 'ci@acme.example' } }, ...Array.from({ length: CIRCLECI_PAGE_SIZE + 2 }, (_, i) => ({ name: `ctx-${i}` }))] },
          { slug: 'bb/other', contexts: [{ name: 'applink-jwt' }] },
        ],
      },
    },
  });
});

afterAll(async () => {
  await sandbox.close();
});

const url = (path: string) => `${sandbox.urls.circleci}/api/v2${path}`;
const auth = { 'circle-token': TOKEN };

describe('Circle-Token', () => {
  it.each([
    ['GET', '/context?owner-slug=gh/acme'],
    ['GET', `/context/${CONTEXT_ID}`],
    ['GET', `/context/${CONTEXT_ID}/environment-variable`],
    ['PUT', `/context/${CONTEXT_ID}/environment-variable/JWT_PRIVATE_KEY`],
  ])('answers 401 {message} on %s %s without the right token, before anything else', async (method, path) => {
    for (const headers of [{}, { 'circle-token': 'wrong' }, { authorization: `Bearer ${TOKEN}` }] as Array<Record<string, string>>) {
      const answer = await call(method, url(path), { headers, ...(method === 'PUT' ? { json: { value: 'x' } } : {}) });
      expect([answer.status, answer.body]).toEqual([401, { message: 'You must log in first.' }]);
    }
    expect(sandbox.state.circleci.variableValue(CONTEXT_ID, 'JWT_PRIVATE_KEY')).toBeUndefined();
  });
});

describe('GET /api/v2/context', () => {
  it('lists the owner\'s contexts by owner-slug or owner-id, a page at a time', async () => {
    const first = await call('GET', url('/context?owner-slug=gh/acme'), { headers: auth });
    expect(first.status).toBe(200);
    const body = first.body as { items: Array<{ id: string; name: string; created_at: string }>; next_page_token: string | null };
    expect(body.items).toHaveLength(CIRCLECI_PAGE_SIZE);
    expect(body.items[0]).toEqual({ id: CONTEXT_ID, name: 'applink-jwt', created_at: '2026-12-01T12:00:00.000Z' });
    expect(body.next_page_token).toEqual(expect.any(String));
    const second = await call('GET', url(`/context?owner-slug=gh/acme&page-token=${body.next_page_token}`), { headers: auth });
    const rest = second.body as typeof body;
    expect(rest.items.map((item) => item.name)).toEqual(['ctx-9', 'ctx-10', 'ctx-11']);
    expect(rest.next_page_token).toBeNull();
    const byId = await call('GET', url(`/context?owner-id=${ORG_ID}`), { headers: auth });
    expect((byId.body as typeof body).items[0]!.id).toBe(CONTEXT_ID);
    // `github/` is the long form of `gh/`; another owner has its own contexts.
    expect(((await call('GET', url('/context?owner-slug=github/acme'), { headers: auth })).body as typeof body).items[0]!.id).toBe(CONTEXT_ID);
    const other = (await call('GET', url('/context?owner-slug=bb/other'), { headers: auth })).body as typeof body;
    expect(other.items.map((item) => item.name)).toEqual(['applink-jwt']);
    expect(other.items[0]!.id).not.toBe(CONTEXT_ID);
  });

  it('answers 404 for an unknown owner and 400 without one', async () => {
    expect(await call('GET', url('/context?owner-slug=gh/nobody'), { headers: auth })).toMatchObject({ status: 404, body: { message: 'Organization not found' } });
    expect(await call('GET', url('/context'), { headers: auth })).toMatchObject({ status: 400, body: { message: 'owner-id or owner-slug is required' } });
  });
});

describe('PUT /api/v2/context/{id}/environment-variable/{name}', () => {
  it('adds, then updates: created_at stays, updated_at moves; the value is stored, never answered', async () => {
    const key = fixtureKey('a').pem;
    clock = Date.UTC(2026, 11, 1, 12, 5, 0);
    const created = await call('PUT', url(`/context/${CONTEXT_ID}/environment-variable/JWT_PRIVATE_KEY`), { headers: auth, json: { value: key } });
    expect([created.status, created.body]).toEqual([200, { variable: 'JWT_PRIVATE_KEY', created_at: '2026-12-01T12:05:00.000Z', updated_at: '2026-12-01T12:05:00.000Z', context_id: CONTEXT_ID }]);
    clock = Date.UTC(2026, 11, 1, 12, 6, 30);
    const other = fixtureKey('b').pem;
    const updated = await call('PUT', url(`/context/${CONTEXT_ID}/environment-variable/JWT_PRIVATE_KEY`), { headers: auth, json: { value: other } });
    expect(updated.body).toEqual({ variable: 'JWT_PRIVATE_KEY', created_at: '2026-12-01T12:05:00.000Z', updated_at: '2026-12-01T12:06:30.000Z', context_id: CONTEXT_ID });
    expect(updated.text).not.toContain('PRIVATE KEY');
    expect(sandbox.state.circleci.variableValue(CONTEXT_ID, 'JWT_PRIVATE_KEY')).toBe(other);
    expect(sandbox.state.circleci.variableValue('applink-jwt', 'JWT_PRIVATE_KEY')).toBe(other);

    const listed = await call('GET', url(`/context/${CONTEXT_ID}/environment-variable`), { headers: auth });
    expect(listed.body).toEqual({
      items: [
        { variable: 'SF_USERNAME', created_at: '2026-12-01T12:00:00.000Z', updated_at: '2026-12-01T12:00:00.000Z', context_id: CONTEXT_ID },
        { variable: 'JWT_PRIVATE_KEY', created_at: '2026-12-01T12:05:00.000Z', updated_at: '2026-12-01T12:06:30.000Z', context_id: CONTEXT_ID },
      ],
      next_page_token: null,
    });
    expect(listed.text).not.toContain('ci@acme.example');

    // The control route gives fingerprints, never values.
    const report = await call('GET', `${sandbox.urls.platform}/__sandbox/circleci/variables`);
    const context = (report.body as { contexts: Array<{ id: string; variables: Array<Record<string, string>> }> }).contexts.find((c) => c.id === CONTEXT_ID)!;
    expect(context.variables[1]).toEqual({ variable: 'JWT_PRIVATE_KEY', sha256: `SHA256:${createHash('sha256').update(other).digest('base64').replace(/=+$/, '')}`, keyFingerprint: keyFingerprint(fixtureKey('b').key), created_at: '2026-12-01T12:05:00.000Z', updated_at: '2026-12-01T12:06:30.000Z' });
    expect(context.variables[0]).not.toHaveProperty('keyFingerprint');
    expect(report.text).not.toContain('PRIVATE KEY');

    // The request log keeps neither the token nor the value.
    const logged = sandbox.requestLog.filter((entry) => entry.route === 'circleci.variable.put' && entry.status === 200);
    expect(logged.map((entry) => [entry.method, entry.path, entry.headers['circle-token'], entry.bodyFields, entry.host])).toEqual([
      ['PUT', `/api/v2/context/${CONTEXT_ID}/environment-variable/JWT_PRIVATE_KEY`, '[REDACTED]', { value: '[REDACTED]' }, sandbox.urls.circleci],
      ['PUT', `/api/v2/context/${CONTEXT_ID}/environment-variable/JWT_PRIVATE_KEY`, '[REDACTED]', { value: '[REDACTED]' }, sandbox.urls.circleci],
    ]);
  });

  it('answers 404 {message} for an unknown context and 400 for a bad name or body', async () => {
    const unknown = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
    expect(await call('PUT', url(`/context/${unknown}/environment-variable/X`), { headers: auth, json: { value: 'v' } })).toMatchObject({ status: 404, body: { message: 'Context not found' } });
    expect(await call('GET', url(`/context/${unknown}/environment-variable`), { headers: auth })).toMatchObject({ status: 404, body: { message: 'Context not found' } });
    expect(await call('GET', url(`/context/${unknown}`), { headers: auth })).toMatchObject({ status: 404, body: { message: 'Context not found' } });
    expect((await call('PUT', url(`/context/${CONTEXT_ID}/environment-variable/1BAD`), { headers: auth, json: { value: 'v' } })).status).toBe(400);
    for (const json of [{}, { value: 3 }, 'text']) {
      expect((await call('PUT', url(`/context/${CONTEXT_ID}/environment-variable/OK`), { headers: auth, json })).status).toBe(400);
    }
    expect(sandbox.state.circleci.variableValue(CONTEXT_ID, 'OK')).toBeUndefined();
  });

  it('answers on its own host only, and its injected faults are shaped {message}', async () => {
    const elsewhere = await call('GET', `${sandbox.urls.platform}/api/v2/context?owner-slug=gh/acme`, { headers: auth });
    expect(elsewhere.status).toBe(404);
    expect(await call('GET', `${sandbox.urls.circleci}/api/v1.1/me`, { headers: auth })).toMatchObject({ status: 404, body: { message: 'Not found' } });
    sandbox.faults.fail('circleci.variable.put', 401);
    sandbox.faults.fail('circleci.contexts', 503);
    expect(await call('PUT', url(`/context/${CONTEXT_ID}/environment-variable/X`), { headers: auth, json: { value: 'v' } })).toMatchObject({ status: 401, body: { message: 'You must log in first.' } });
    expect(await call('GET', url('/context?owner-slug=gh/acme'), { headers: auth })).toMatchObject({ status: 503, body: { message: 'Service unavailable' } });
    expect(sandbox.state.circleci.variableValue(CONTEXT_ID, 'X')).toBeUndefined();
  });
});

describe('CircleciState', () => {
  it.each([
    ['a slug without a VCS prefix', { organizations: [{ slug: 'acme' }] }, 'CircleCI organization slug "acme" must look like gh/<org>, bb/<org> or circleci/<uuid>.'],
    ['one organization twice', { organizations: [{ slug: 'gh/a' }, { slug: 'GH/A' }] }, 'CircleCI organization GH/A is defined twice.'],
    ['a context twice', { organizations: [{ slug: 'gh/a', contexts: [{ name: 'c' }, { name: 'c' }] }] }, 'Context "c" of gh/a is defined twice (names are unique per organization).'],
    ['a bad variable name', { organizations: [{ slug: 'gh/a', contexts: [{ name: 'c', variables: { 'A-B': 'x' } }] }] }, 'Variable name "A-B" of context c must be letters, digits and underscores, not starting with a digit.'],
    ['an id that is not a UUID', { organizations: [{ slug: 'gh/a', id: 'nope' }] }, 'The CircleCI organization gh/a id, nope, is not a UUID.'],
  ])('refuses %s', (_name, input, message) => {
    expect(() => CircleciState.fromInput(input)).toThrow(message);
  });
});
