/** `applink-jwt demo` end to end: the built binary runs the whole flow on its in-process sandbox. */
import { describe, expect, it } from '@jest/globals';
import { ROOT, runBin } from '../support/harness.js';
import { findSecretShapes } from '../support/leak-guard.js';
import { jsonResult } from '../support/envelope.js';

/** The demo's secrets are made inside its process: the leak guard looks for their shapes. */
const demoLeaks = (text: string) => findSecretShapes([text]);

describe('applink-jwt demo', () => {
  it('runs every step and exits 0', async () => {
    const result = await runBin(['demo'], { cwd: ROOT, timeoutMs: 90_000 });
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^applink-jwt demo: the whole flow against an in-process sandbox \(Platform API http:\/\/127\.0\.0\.1:\d+\)$/);
    const steps = lines.filter((line) => /^\s?\d+\. /.test(line)).map((line) => line.replace(/^\s?\d+\. /, '').split(/\s{2,}/)[0]);
    expect(steps).toEqual([
      'Start the sandbox (Salesforce, Platform API and AppLink doubles on loopback)',
      'Generate an RSA key pair and a self-signed certificate',
      'Preflight: JWT bearer exchange with the Salesforce double',
      'Authorize demo_salesforce (Salesforce) on app acme-app',
      'Authorize demo_datacloud (Data Cloud) on app acme-app',
      'List the authorizations',
      'Read demo_salesforce back the way an app does (@heroku/applink)',
      'Remove demo_salesforce',
      'Remove demo_datacloud',
      'Clean up',
    ]);
    expect(result.stdout).toMatch(/Authorize demo_salesforce \(Salesforce\) on app acme-app\s+[\d.]+ m?s\s+authorized \(org 00D\w+, SalesforceOrg\)/);
    expect(result.stdout).toMatch(/Authorize demo_datacloud \(Data Cloud\) on app acme-app\s+[\d.]+ m?s\s+authorized \(org 00D\w+, DataCloudOrg\)/);
    expect(result.stdout).toMatch(/List the authorizations\s+[\d.]+ m?s\s+demo_salesforce: authorized, demo_datacloud: authorized/);
    // The SDK is a dev dependency, so it is installed here and must be the one that reads it.
    expect(result.stdout).toMatch(/@heroku\/applink\)\s+[\d.]+ m?s\s+SDK getAuthorization\(\): org 00D\w+ at http:\/\/127\.0\.0\.4:\d+, user ci@acme\.example, an access token the Salesforce double issued/);
    expect(result.stdout).toMatch(/^Done: 10 steps in [\w. ]+, exit 0\./m);
    expect(demoLeaks(result.stdout + result.stderr)).toEqual([]);
  });

  it('--json lists the steps with results and durations', async () => {
    const result = await runBin(['demo', '--json'], { cwd: ROOT, timeoutMs: 90_000 });
    expect(result.exitCode).toBe(0);
    const json = jsonResult(result.stdout) as { sandboxUrl: string; steps: Array<{ step: string; result: string; durationMs: number }>; totalMs: number };
    expect(json.steps).toHaveLength(10);
    for (const step of json.steps) expect(typeof step.durationMs).toBe('number');
    expect(result.stderr).toBe('');
    expect(demoLeaks(result.stdout)).toEqual([]);
  });

  it('falls back to the SDK\'s own GET, saying so, where the SDK is not installed', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const elsewhere = await mkdtemp(join(tmpdir(), 'applink-jwt-demo-nosdk-'));
    try {
      const result = await runBin(['demo'], { cwd: elsewhere, timeoutMs: 90_000 });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/the SDK's GET \(the SDK could not be loaded \(Cannot find package '@heroku\/applink'.*\); same request, made directly\): org 00D\w+ at http:\/\/127\.0\.0\.4:\d+, user ci@acme\.example, an access token the Salesforce double issued/);
      expect(demoLeaks(result.stdout + result.stderr)).toEqual([]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
