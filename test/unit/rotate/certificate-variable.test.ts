/**
 * `rotate --circleci-certificate-variable`: the CircleCI step also writes the new certificate (public)
 * to the context, so the orb's check_key (certificate_variable) checks the certificate in use; the
 * plan names it; a name that is not a variable name is refused before anything is sent.
 */
import { describe, expect, it } from '@jest/globals';
import { runRotate, type RotateOptions } from '../../../cli/commands/rotate.js';
import { AppError } from '../../../cli/errors.js';
import { testDeps } from '../../support/harness.js';
import { createWorld, fakeServices } from './fake-services.js';

const ENV = { HEROKU_API_KEY: 'heroku-token-0123456789', SF_USERNAME: 'ci@acme.example', SF_ADMIN_ACCESS_TOKEN: '00Dadmin!token-0123456789', SF_ADMIN_INSTANCE_URL: 'https://acme.my.salesforce.com', CIRCLE_TOKEN: 'circle-token-0123456789' };

function options(extra: Partial<RotateOptions> = {}): RotateOptions {
  return {
    app: 'acme-app', baseName: 'my_org', ecaA: 'AppLink_A', ecaB: 'AppLink_B', configVar: 'APPLINK_AUTH_NAME', allowLoginHosts: [], adminTokenEnv: 'SF_ADMIN_ACCESS_TOKEN',
    circleciContext: 'applink', circleciOwnerSlug: 'gh/acme', circleciKeyVariable: 'JWT_PRIVATE_KEY', circleciClientIdVariable: 'SF_CLIENT_ID', circleciCertificateVariable: 'JWT_CERTIFICATE', circleciTokenEnv: 'CIRCLE_TOKEN',
    plan: false, singleSlot: false, yes: false, keepOld: false, graceMs: 0, keyBits: 2048, keyDays: 30, deployTimeoutMs: 60_000, propagationTimeoutMs: 60_000, pollIntervalMs: 1000, timeoutMs: 60_000, json: false,
    ...extra,
  };
}

function run(extra: Partial<RotateOptions> = {}) {
  let clock = Date.UTC(2026, 11, 1, 12, 0, 0);
  const world = createWorld(() => clock);
  const deps = testDeps({ env: ENV, now: () => clock, sleep: async (ms) => void (clock += ms) });
  return { world, result: runRotate(options(extra), deps, () => fakeServices(world)) };
}

describe('rotate --circleci-certificate-variable', () => {
  it('writes the certificate the idle slot now holds to that context variable, after the key and the client id', async () => {
    const { world, result } = run();
    await result;
    expect(world.writes).toEqual(['deploy AppLink_B', 'create my_org_b', 'config {"APPLINK_AUTH_NAME":"my_org_b"}', 'circleci JWT_PRIVATE_KEY', 'circleci SF_CLIENT_ID', 'circleci JWT_CERTIFICATE']);
    const certificate = world.contexts[0]!.variables.JWT_CERTIFICATE!.value;
    expect(certificate).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(certificate).toBe(world.ecas.AppLink_B!.certificate);
  });

  it('is named by --plan, which writes nothing', async () => {
    const { world, result } = run({ plan: true });
    const text = (await result).text ?? '';
    expect(text).toContain('set JWT_CERTIFICATE (the new certificate) in CircleCI context applink');
    expect(world.writes).toEqual([]);
  });

  it('refuses a name that is not a variable name, naming the flag', async () => {
    const { world, result } = run({ circleciCertificateVariable: 'JWT-CERT' });
    const error = await result.then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toContain('--circleci-certificate-variable "JWT-CERT" is not an environment variable name.');
    expect(world.calls).toEqual([]);
  });
});
