/**
 * The admin credential of the deploy: from a variable with the instance URL, or from a command
 * printing `sf org display --json` (run without a shell, through the runner double), the token
 * registered for redaction and refused over plain http to a remote host.
 */
import { describe, expect, it } from '@jest/globals';
import { planAdminCredential, resolveAdminCredential, splitCommand } from '../../../cli/rotate/admin-credential.js';
import { SecretRegistry } from '../../../cli/redact.js';
import { tableRunner } from '../../support/harness.js';

const TOKEN = '00Dxx0000001gPL!AdminAccessToken.0123456789';

describe('admin credential', () => {
  it('splits a command line into argv with quotes, and refuses an unclosed quote', () => {
    expect(splitCommand(`sf org display --target-org 'my admin' --json`)).toEqual(['sf', 'org', 'display', '--target-org', 'my admin', '--json']);
    expect(splitCommand('a "" b')).toEqual(['a', '', 'b']);
    expect(() => splitCommand('sf "org')).toThrow('has an unclosed " quote');
  });

  it('reads the token from the variable and the instance URL, registering the token', async () => {
    const secrets = new SecretRegistry();
    const env = { SF_ADMIN_ACCESS_TOKEN: TOKEN, SF_ADMIN_INSTANCE_URL: 'https://acme.my.salesforce.com/' };
    const plan = planAdminCredential({ adminTokenEnv: 'SF_ADMIN_ACCESS_TOKEN' }, env);
    const credential = await resolveAdminCredential(plan, { env, run: tableRunner({}), cwd: '.', secrets });
    expect(credential).toEqual({ accessToken: TOKEN, instanceUrl: 'https://acme.my.salesforce.com' });
    expect(secrets.redact(`x ${TOKEN} y`)).toBe('x [REDACTED] y');
  });

  it('refuses an http instance URL that is not loopback, and says what is missing', () => {
    expect(() => planAdminCredential({ adminTokenEnv: 'T', adminInstanceUrl: 'http://acme.example' }, { T: TOKEN })).toThrow(
      '--admin-instance-url is http://acme.example: the admin token is only sent over https (plain http only to a loopback address).',
    );
    expect(() => planAdminCredential({ adminTokenEnv: 'T' }, {})).toThrow(
      'No admin credential for the Metadata API deploy: T is not set, and --admin-instance-url is not given and SF_ADMIN_INSTANCE_URL is not set, and no --admin-command is given.',
    );
  });

  it('runs --admin-command and reads result.accessToken and result.instanceUrl', async () => {
    const secrets = new SecretRegistry();
    const display = JSON.stringify({ status: 0, result: { accessToken: TOKEN, instanceUrl: 'http://127.0.0.4:5555', username: 'admin@acme.example' } });
    const run = tableRunner({ 'sf org display --target-org admin --json': { exitCode: 0, stdout: display } });
    const plan = planAdminCredential({ adminTokenEnv: 'SF_ADMIN_ACCESS_TOKEN', adminCommand: 'sf org display --target-org admin --json' }, {});
    expect(await resolveAdminCredential(plan, { env: {}, run, cwd: '.', secrets })).toEqual({ accessToken: TOKEN, instanceUrl: 'http://127.0.0.4:5555' });
    expect(secrets.redact(TOKEN)).toBe('[REDACTED]');
    const failing = tableRunner({ 'sf org display --target-org admin --json': { exitCode: 1, stdout: '{"status":1,"message":"No authorization found"}' } });
    await expect(resolveAdminCredential(plan, { env: {}, run: failing, cwd: '.', secrets })).rejects.toThrow('The admin command (sf org display --target-org admin --json) exited 1.');
  });
});
