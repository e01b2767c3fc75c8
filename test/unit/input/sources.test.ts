import { describe, expect, it } from '@jest/globals';
import { defaultSource, envSource, flagSource, missingMessage, requireInput, resolveInput, type InputSpec, type Source } from '../../../cli/input/sources.js';
import { failure } from '../../support/app-error.js';
import { testDeps } from '../../support/harness.js';

const spec = (flag: string | undefined, ...more: Source[]): InputSpec => ({ what: 'client id', sources: [flagSource('--client-id', flag), envSource('SF_CLIENT_ID'), ...more] });

describe('resolveInput', () => {
  it('takes the flag, else the first non-empty variable, and says where the value came from', async () => {
    const deps = testDeps({ env: { SF_CLIENT_ID: 'from-env' } });
    expect(await resolveInput(spec('from-flag'), deps)).toEqual({ value: 'from-flag', source: '--client-id' });
    expect(await resolveInput(spec(undefined), deps)).toEqual({ value: 'from-env', source: 'SF_CLIENT_ID' });
    expect(await resolveInput(spec(undefined), testDeps({ env: { SF_CLIENT_ID: '' } }))).toBeUndefined();
    expect(await resolveInput(spec(undefined, defaultSource('fallback')), testDeps())).toEqual({ value: 'fallback', source: 'default' });
  });

  it('refuses an explicitly empty flag instead of falling back to the environment', async () => {
    for (const value of ['', '  ']) {
      const error = await failure(resolveInput(spec(value), testDeps({ env: { SF_CLIENT_ID: 'from-env' } })));
      expect([error.code, error.exitCode, error.message]).toEqual(['ERR_EMPTY_VALUE', 3, '--client-id was given an empty value; an empty value does not fall back to SF_CLIENT_ID.']);
      expect(error.details).toEqual({ inputs: ['--client-id', 'SF_CLIENT_ID'] });
    }
  });

  it('asks later sources (such as an asynchronous one) only when the earlier ones have nothing', async () => {
    const asked: string[] = [];
    const lookup: Source = { names: ['~/.netrc'], absent: '~/.netrc has no entry', read: async () => (asked.push('netrc'), { value: 'n', source: '~/.netrc' }) };
    expect(await resolveInput(spec('flag', lookup), testDeps())).toEqual({ value: 'flag', source: '--client-id' });
    expect(asked).toEqual([]);
    expect(await resolveInput(spec(undefined, lookup), testDeps())).toEqual({ value: 'n', source: '~/.netrc' });
    expect(asked).toEqual(['netrc']);
  });

  it('names every source when a required input has no value', async () => {
    expect(missingMessage({ what: 'app', sources: [flagSource('--app', undefined), envSource('HEROKU_APP', 'HEROKU_APP_NAME')] })).toBe(
      'No app: --app is not given and HEROKU_APP and HEROKU_APP_NAME are not set.',
    );
    const error = await failure(requireInput(spec(undefined), testDeps(), { code: 'ERR_CLIENT_ID_MISSING', hint: 'Pass it.' }));
    expect([error.code, error.message, error.hint, error.details]).toEqual([
      'ERR_CLIENT_ID_MISSING',
      'No client id: --client-id is not given and SF_CLIENT_ID is not set.',
      'Pass it.',
      { inputs: ['--client-id', 'SF_CLIENT_ID'] },
    ]);
  });
});
