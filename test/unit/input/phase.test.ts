/** The one local validation phase through the command line: every problem in one run, no request. */
import { describe, expect, it } from '@jest/globals';
import { runProgram } from '../../support/harness.js';

const noFetch = async () => {
  throw new Error('no request expected');
};

describe('local input of a command, checked in one phase', () => {
  it('authorize with app, token, client id, username and key all missing names all five in one run', async () => {
    const result = await runProgram(['authorize', 'my_org', '--json'], { fetch: noFetch });
    expect(result.exitCode).toBe(3);
    const document = JSON.parse(result.stdout) as { error: { code: string; details: { problems: Array<{ code: string; inputs?: string[] }> } } };
    expect(document.error.code).toBe('ERR_INPUT_PROBLEMS');
    expect(document.error.details.problems.map((problem) => [problem.code, problem.inputs])).toEqual([
      ['ERR_APP_MISSING', ['--app', '--remote', 'HEROKU_APP', 'HEROKU_APP_NAME', 'git remote', 'HEROKU_APPLINK_API_URL', 'HEROKU_APPLINK_TOKEN', 'HEROKU_APP_ID']],
      ['ERR_HEROKU_API_KEY_MISSING', ['HEROKU_API_KEY', 'NETRC', '~/.netrc']],
      ['ERR_CLIENT_ID_MISSING', ['--client-id', 'SF_CLIENT_ID']],
      ['ERR_USERNAME_MISSING', ['--username', 'SF_USERNAME']],
      ['ERR_KEY_ENV_MISSING', undefined],
    ]);
  });

  it('the human report lists each problem with its fix', async () => {
    const result = await runProgram(['verify', '--login-url', 'http://login.salesforce.com'], { fetch: noFetch, env: { SF_USERNAME: 'not an email' } });
    expect(result.exitCode).toBe(3);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('  - '))).toEqual([
      '  - No client id: --client-id is not given and SF_CLIENT_ID is not set.',
      '  - The username (--username or SF_USERNAME) "not an email" contains whitespace.',
      '  - --login-url http://login.salesforce.com uses http; the assertion may only be sent over https (http is allowed for loopback hosts only).',
      '  - Environment variable JWT_PRIVATE_KEY is not set or is empty.',
    ]);
  });

  it.each([
    [['authorize', 'my_org', '-a', ''], { HEROKU_APP: 'acme-app' }, '--app was given an empty value; an empty value does not fall back to --remote, HEROKU_APP, HEROKU_APP_NAME or git remote.'],
    [['authorize', 'my_org', '--client-id', ''], { SF_CLIENT_ID: 'consumer-key' }, '--client-id was given an empty value; an empty value does not fall back to SF_CLIENT_ID.'],
    [['verify', '--username', ''], { SF_USERNAME: 'ci@example.com' }, '--username was given an empty value; an empty value does not fall back to SF_USERNAME.'],
    [['remove', 'my_org', '--yes', '--app', ''], { HEROKU_APP: 'acme-app' }, '--app was given an empty value; an empty value does not fall back to --remote, HEROKU_APP, HEROKU_APP_NAME or git remote.'],
    [['verify', '--jwt-key-file', ''], { JWT_PRIVATE_KEY: 'x' }, '--jwt-key-file was given an empty value; an empty value does not fall back to JWT_PRIVATE_KEY.'],
    [['verify', '--audience', ''], { SF_AUDIENCE_URL: 'https://login.salesforce.com' }, '--audience was given an empty value; an empty value does not fall back to SF_AUDIENCE_URL.'],
  ])('%j is an error naming the flag, never a fall-back to the environment', async (argv, env, message) => {
    const result = await runProgram([...argv, '--json'], { fetch: noFetch, env });
    expect(result.exitCode).toBe(3);
    const document = JSON.parse(result.stdout) as { error: { code: string; message: string; details?: { problems?: Array<{ code: string; message: string }> } } };
    const problems = document.error.code === 'ERR_INPUT_PROBLEMS' ? document.error.details!.problems! : [document.error];
    expect(problems).toContainEqual(expect.objectContaining({ code: 'ERR_EMPTY_VALUE', message }));
  });
});
