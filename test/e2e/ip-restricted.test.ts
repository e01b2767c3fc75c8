/**
 * IP-restricted orgs end to end: the sandbox's user has Login IP Ranges; the preflight (from this
 * runner, 127.0.0.1) is refused with a hint that AppLink logs in from Heroku instead, and
 * `--no-preflight` leaves the decision to AppLink's own login (from the sandbox's Heroku address).
 */
import { describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(1, (current) => ({ keys, sandbox, bin } = current));

const restrict = (ranges: string[]) => {
  for (const user of sandbox.state.users) user.loginIpRanges = ranges;
};
const authorize = (...extra: string[]) => ['authorize', 'my_org', '-a', 'acme-app', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, ...extra];
const stored = () => sandbox.state.listAuthorizations(sandbox.state.addons[0]!.id);

describe('an org whose user has Login IP Ranges', () => {
  it('verify: the refusal says so, explains where AppLink logs in from, and offers --no-preflight and circleci_ip_ranges', async () => {
    restrict(['198.51.100.0/24']);
    const result = await bin.run(['verify', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path], platformEnv(sandbox));
    expect(result.exitCode).toBe(4);
    const [error, fix, code] = result.stderr.split('\n').slice(-3);
    expect(error).toMatch(/^Error: Login refused from this network \(Login IP Ranges\): POST .*\/services\/oauth2\/token answered 400 invalid_grant "ip restricted" for user ci@acme\.example/);
    expect(error).toContain('The preflight logs in from here; AppLink logs in from Heroku, not from this runner');
    expect(fix).toBe(
      "Fix: Skip the login from this runner with authorize --no-preflight (the authorization still fails if Heroku is refused too); in the orb, give the job circleci_ip_ranges: true and add CircleCI's published IP ranges to the profile's Login IP Ranges, or run it with preflight: false. Or widen the profile's Login IP Ranges in Setup.",
    );
    expect(code).toBe('(ERR_SF_IP_RESTRICTED, exit 4)');
  });

  it('authorize: refused by the preflight with nothing created; with --no-preflight AppLink (from Heroku) authorizes', async () => {
    restrict(['198.51.100.0/24']);
    const refused = await bin.run(authorize(), platformEnv(sandbox));
    expect([refused.exitCode, refused.stderr.split('\n').at(-1)]).toEqual([4, '(ERR_SF_IP_RESTRICTED, exit 4)']);
    expect(stored()).toEqual([]);
    const skipped = await bin.run(authorize('--no-preflight'), platformEnv(sandbox));
    expect(skipped.exitCode).toBe(0);
    expect(stored().map((authorization) => authorization.status)).toEqual(['authorized']);
  });

  it('when Heroku is outside the ranges too, --no-preflight ends failed with the same Salesforce answer', async () => {
    restrict(['203.0.113.0/24']);
    const result = await bin.run(authorize('--no-preflight'), platformEnv(sandbox));
    expect(result.exitCode).toBe(6);
    expect(result.stderr).toContain('ip restricted');
  });
});
