/**
 * The CircleCI contexts client against the sandbox over real loopback HTTP, its requests read back
 * from the request log and held to the documented contract (docs/reference/rotation-contracts.md
 * §CircleCI): `GET /api/v2/context?owner-slug=` following `next_page_token`, `PUT
 * /api/v2/context/{id}/environment-variable/{name}` with `{"value"}` only, the names-only list,
 * `Circle-Token` on every call; 401 and 404 as the catalogue's errors; the value never in an
 * answer or an error, and registered for redaction.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createContextsClient } from '../../../cli/circleci/contexts.js';
import { SecretRegistry } from '../../../cli/redact.js';
import { CIRCLECI_PAGE_SIZE } from '../../../cli/sandbox/circleci.js';
import { startSandbox, type Sandbox } from '../../../cli/sandbox/server.js';
import { failure } from '../../support/app-error.js';
import { fixtureKey } from '../sandbox/helpers.js';

const TOKEN = 'CCIPAT_contexts_client_token_0123456789';
const CONTEXT_ID = '7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    state: {
      orgs: [],
      apps: [],
      circleci: {
        token: TOKEN,
        // The context sought is on the second page.
        organizations: [{ slug: 'gh/acme', contexts: [...Array.from({ length: CIRCLECI_PAGE_SIZE }, (_, i) => ({ name: `other-${i}` })), { name: 'applink-jwt', id: CONTEXT_ID }] }],
      },
    },
  });
});

afterAll(async () => {
  await sandbox.close();
});

function client(token = TOKEN) {
  const secrets = new SecretRegistry();
  const deps = { fetch: globalThis.fetch, sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)), signal: new AbortController().signal, now: Date.now, secrets };
  return { contexts: createContextsClient({ baseUrl: new URL(`${sandbox.urls.circleci}/api/v2`), token, tokenSource: 'CIRCLE_TOKEN' }, deps), secrets };
}

const since = (from: number) => sandbox.requestLog.filter((entry) => entry.seq > from);

describe('contexts client', () => {
  it('finds the context across pages, sets the key, lists names: requests as the API v2 spec documents', async () => {
    const { contexts, secrets } = client();
    const key = fixtureKey('a').pem;
    const from = sandbox.requestLog.length;
    const startedAt = new Date().toISOString();

    expect(await contexts.findContext('gh/acme', 'applink-jwt')).toEqual({ id: CONTEXT_ID, name: 'applink-jwt' });
    const info = await contexts.setVariable(CONTEXT_ID, 'JWT_PRIVATE_KEY', key);
    expect(info).toEqual({ variable: 'JWT_PRIVATE_KEY', contextId: CONTEXT_ID, createdAt: expect.any(String), updatedAt: expect.any(String) });
    expect(info.updatedAt >= startedAt).toBe(true);
    expect(await contexts.listVariableNames(CONTEXT_ID)).toEqual(['JWT_PRIVATE_KEY']);
    expect(sandbox.state.circleci.variableValue(CONTEXT_ID, 'JWT_PRIVATE_KEY')).toBe(key);
    expect(await contexts.findContext('gh/acme', 'no-such-context')).toBeUndefined();

    const requests = since(from).slice(0, 4);
    expect(requests.map((entry) => [entry.method, entry.path, entry.route, entry.status])).toEqual([
      ['GET', '/api/v2/context?owner-slug=gh%2Facme', 'circleci.contexts', 200],
      ['GET', `/api/v2/context?owner-slug=gh%2Facme&page-token=${CIRCLECI_PAGE_SIZE}`, 'circleci.contexts', 200],
      ['PUT', `/api/v2/context/${CONTEXT_ID}/environment-variable/JWT_PRIVATE_KEY`, 'circleci.variable.put', 200],
      ['GET', `/api/v2/context/${CONTEXT_ID}/environment-variable`, 'circleci.variables', 200],
    ]);
    for (const entry of requests) {
      expect(entry.host).toBe(sandbox.urls.circleci);
      expect(entry.headers['circle-token']).toBe('[REDACTED]');
      expect(entry.headers.authorization).toBeUndefined();
      expect(entry.headers.accept).toBe('application/json');
    }
    // The body is {"value": ...} and nothing else, sent as JSON.
    expect([requests[2]!.headers['content-type'], requests[2]!.bodyFields]).toEqual(['application/json', { value: '[REDACTED]' }]);
    // The key and the token are registered: an echo of either would be redacted.
    expect(secrets.redact(`${key} ${TOKEN}`)).not.toMatch(/MII|CCIPAT_contexts/);
  });

  it('stops on 401 with ERR_CIRCLECI_AUTH naming the token variable, never the token', async () => {
    const error = await failure(client('CCIPAT_wrong_token_000000000000').contexts.findContext('gh/acme', 'applink-jwt'));
    expect([error.code, error.exitCode]).toEqual(['ERR_CIRCLECI_AUTH', 5]);
    expect(error.message).toBe(`The token in CIRCLE_TOKEN was refused by the CircleCI API (${sandbox.urls.circleci}): HTTP 401. The server said: "You must log in first.".`);
  });

  it('stops on 404 (unknown owner, unknown context) with ERR_CIRCLECI_NOT_FOUND, and the value is in no error', async () => {
    const { contexts } = client();
    expect((await failure(contexts.findContext('gh/nobody', 'applink-jwt'))).code).toBe('ERR_CIRCLECI_NOT_FOUND');
    const before = sandbox.snapshot();
    const error = await failure(contexts.setVariable('ffffffff-ffff-4fff-8fff-ffffffffffff', 'JWT_PRIVATE_KEY', fixtureKey('b').pem));
    expect(error.code).toBe('ERR_CIRCLECI_NOT_FOUND');
    expect(JSON.stringify({ message: error.message, hint: error.hint, details: error.details })).not.toContain('PRIVATE KEY');
    expect(sandbox.snapshot()).toEqual(before);
  });

  it('retries a PUT that met a 503 (setting the same value twice is harmless)', async () => {
    const { contexts } = client();
    const from = sandbox.requestLog.length;
    sandbox.faults.fail('circleci.variable.put', 503);
    await contexts.setVariable(CONTEXT_ID, 'SF_CLIENT_ID', '3MVG9sandbox.Client.B');
    expect(since(from).map((entry) => entry.status)).toEqual([503, 200]);
  });
});
