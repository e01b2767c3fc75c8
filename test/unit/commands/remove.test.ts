import { describe, expect, it } from '@jest/globals';
import { runRemove, type RemoveOptions } from '../../../cli/commands/remove.js';
import { failure } from '../../support/app-error.js';
import { testDeps } from '../../support/harness.js';
import { ADDON_ID, fakeService } from '../applink/fake-service.js';

const env = { HEROKU_APPLINK_API_URL: `https://applink-api.heroku.com/addons/${ADDON_ID}`, HEROKU_APPLINK_TOKEN: 'addon-token-0123456789', HEROKU_APP_ID: '11111111-2222-3333-4444-555555555555' };
const DELETE = `DELETE /addons/${ADDON_ID}/authorizations/auth-1`;
const GET_ID = `GET /addons/${ADDON_ID}/authorizations/auth-1`;
const GET = `GET /addons/${ADDON_ID}/authorizations/my_org`;
const FOUND = { status: 200, json: { id: 'auth-1', status: 'authorized', org: { developer_name: 'my_org' } } };
const NOT_FOUND = { status: 404, json: { id: 'record_not_found', message: 'record not found' } };
const options = (overrides: Partial<RemoveOptions> = {}): RemoveOptions => ({ developerName: 'my_org', yes: false, json: false, ...overrides });

describe('runRemove', () => {
  it('never removes without a confirmation when stdin is not a terminal', async () => {
    const service = fakeService();
    const error = await failure(runRemove(options(), testDeps({ env, fetch: service.fetch, stdinIsTTY: false, prompt: async () => 'my_org' })));
    expect([error.code, error.exitCode, error.message, error.hint]).toEqual([
      'ERR_CONFIRM_REQUIRED',
      3,
      'Refusing to remove my_org without a confirmation: standard input is not a terminal.',
      'Pass --yes, or --confirm my_org, to remove it.',
    ]);
    const mismatch = await failure(runRemove(options({ confirm: 'other' }), testDeps({ env, fetch: service.fetch })));
    expect([mismatch.code, mismatch.message]).toEqual(['ERR_CONFIRM_MISMATCH', '--confirm "other" does not match the developer name my_org; nothing was removed.']);
    expect(service.requests).toEqual([]);
  });

  it('on a terminal, asks, and removes only when the answer repeats the name', async () => {
    const service = fakeService();
    service.on(GET, FOUND);
    service.on(DELETE, { status: 200, json: {} });
    const questions: string[] = [];
    const ask = (answer: string) => async (question: string) => {
      questions.push(question);
      return answer;
    };
    const refused = await failure(runRemove(options(), testDeps({ env, fetch: service.fetch, stdinIsTTY: true, prompt: ask('yes') })));
    expect(refused.code).toBe('ERR_CONFIRM_MISMATCH');
    expect(service.requests).toEqual([]);
    const result = await runRemove(options(), testDeps({ env, fetch: service.fetch, stdinIsTTY: true, prompt: ask('my_org\n') }));
    expect(result).toEqual({ json: { removed: 'my_org', developerName: 'my_org', addon: ADDON_ID, mode: 'direct' }, text: `Removed authorization my_org from add-on ${ADDON_ID} (direct mode).`, warnings: [] });
    expect(questions).toEqual(Array(2).fill('Remove the AppLink authorization my_org? Type its developer name to confirm: '));
    expect(service.calls()).toEqual([GET, DELETE]);
  });

  it('--yes removes; an unknown name is ERR_AUTHORIZATION_NOT_FOUND', async () => {
    const service = fakeService();
    service.on(GET, NOT_FOUND);
    service.on(DELETE, NOT_FOUND);
    const error = await failure(runRemove(options({ yes: true }), testDeps({ env, fetch: service.fetch })));
    expect([error.code, error.exitCode]).toEqual(['ERR_AUTHORIZATION_NOT_FOUND', 5]);
    expect(service.calls()).toEqual([GET]);
  });

  const quick = { sleep: async () => {} };

  it('a name that does not exist is never reported removed, even when a retried DELETE ends in 404', async () => {
    // The first DELETE's answer is lost (503), the retry finds nothing: the lookup first tells the two cases apart.
    const service = fakeService();
    service.on(GET, FOUND);
    service.on(DELETE, { status: 503, json: { id: 'service_unavailable', message: 'Service unavailable' } }, NOT_FOUND);
    const result = await runRemove(options({ yes: true }), testDeps({ env, fetch: service.fetch, ...quick }));
    expect(result.text).toBe(`Removed authorization my_org from add-on ${ADDON_ID} (direct mode).`);
    expect(service.calls()).toEqual([GET, DELETE, DELETE]);

    const absent = fakeService();
    absent.on(GET, { status: 503, json: {} }, NOT_FOUND);
    const error = await failure(runRemove(options({ yes: true }), testDeps({ env, fetch: absent.fetch, ...quick })));
    expect([error.code, error.exitCode]).toEqual(['ERR_AUTHORIZATION_NOT_FOUND', 5]);
    expect(absent.calls()).toEqual([GET, GET]);
  });

  it('a DELETE that keeps failing: checked with a GET, and the error says whether it is still there', async () => {
    const unavailable = { status: 503, json: { id: 'service_unavailable', message: 'Service unavailable' } };
    const kept = fakeService();
    kept.on(GET, FOUND);
    kept.on(GET_ID, FOUND);
    kept.on(DELETE, unavailable);
    const error = await failure(runRemove(options({ yes: true, json: true }), testDeps({ env, fetch: kept.fetch, ...quick })));
    expect([error.code, error.exitCode, error.details?.state]).toEqual(['ERR_SERVICE_UNAVAILABLE', 8, 'unchanged']);
    expect(error.message).toBe(
      `The AppLink API kept failing after 4 attempts: DELETE https://applink-api.heroku.com/addons/${ADDON_ID}/authorizations/auth-1 answered HTTP 503. The server said: "Service unavailable". Authorization my_org was not removed.`,
    );

    const gone = fakeService();
    gone.on(GET, FOUND);
    gone.on(GET_ID, NOT_FOUND);
    gone.on(DELETE, unavailable);
    const removed = await runRemove(options({ yes: true }), testDeps({ env, fetch: gone.fetch, ...quick }));
    expect(removed.json).toEqual({ removed: 'my_org', developerName: 'my_org', addon: ADDON_ID, mode: 'direct' });

    const unknown = fakeService();
    unknown.on(GET, FOUND);
    unknown.on(GET_ID, unavailable);
    unknown.on(DELETE, unavailable);
    const unsure = await failure(runRemove(options({ yes: true }), testDeps({ env, fetch: unknown.fetch, ...quick })));
    expect([unsure.code, unsure.details?.state]).toEqual(['ERR_SERVICE_UNAVAILABLE', 'unknown']);
    expect(unsure.message).toMatch(/ Authorization my_org may or may not have been removed: check with applink-jwt info my_org\.$/);
  });

  it('deletes the id it read, and a 404 on that DELETE (someone else removed it first) is never reported removed', async () => {
    const service = fakeService();
    service.on(GET, FOUND);
    service.on(DELETE, NOT_FOUND);
    const error = await failure(runRemove(options({ yes: true }), testDeps({ env, fetch: service.fetch, ...quick })));
    expect([error.code, error.exitCode]).toEqual(['ERR_AUTHORIZATION_NOT_FOUND', 5]);
    expect(service.calls()).toEqual([GET, DELETE]);
    const ignored = await runRemove(options({ yes: true, ignoreMissing: true }), testDeps({ env, fetch: service.fetch, ...quick }));
    expect(ignored.json).toEqual({ removed: null, developerName: 'my_org', addon: ADDON_ID, mode: 'direct' });
    expect(ignored.text).toBe('Authorization my_org was removed by someone else before this run\'s DELETE: nothing removed (--ignore-missing).');
  });

  it('--ignore-missing: no authorization of that name is a success that removes nothing', async () => {
    const service = fakeService();
    service.on(GET, NOT_FOUND);
    const result = await runRemove(options({ yes: true, ignoreMissing: true }), testDeps({ env, fetch: service.fetch }));
    expect(result).toEqual({ json: { removed: null, developerName: 'my_org', addon: ADDON_ID, mode: 'direct' }, text: `No authorization my_org on add-on ${ADDON_ID} (direct mode): nothing to remove (--ignore-missing).`, warnings: [] });
    expect(service.calls()).toEqual([GET]);
  });
});
