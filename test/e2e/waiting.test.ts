/**
 * What a CI log shows while authorize waits: against the sandbox (real HTTP on loopback), the
 * AppLink API answers the POST twice with 429 and the authorization stays `authorizing` for 30
 * seconds. The run's clock is injected (its sleeps advance it at once), so the 30 s take well under
 * a second of wall time; the progress is the one a log gets (no terminal), fed by the same clock.
 */
import { describe, expect, it } from '@jest/globals';
import { createHttpLog, createLineProgress } from '../../cli/progress.js';
import { runCli } from '../../cli/program.js';
import { makeKeys, platformEnv, sandboxForTest } from '../support/applink-e2e.js';
import { testDeps } from '../support/harness.js';
import { expectNoSecrets } from '../support/leak-guard.js';

describe('authorize without a terminal, through 429s and a 30-second wait', () => {
  it('prints one line per retry, heartbeats with elapsed and remaining time every 10 s, and one line per step', async () => {
    const { keys, cleanup } = await makeKeys(1);
    const sandbox = await sandboxForTest({ settleDelayMs: 'never' });
    try {
      sandbox.registerCertificate(keys[0]!.certificatePem);
      sandbox.faults.rateLimit('applink.create', 2, 2);
      let clock = Date.now();
      let createdAt: number | undefined;
      let stderr = '';
      const write = (text: string) => {
        stderr += text;
      };
      const progress = createLineProgress({ write, now: () => clock });
      const deps = testDeps({
        env: platformEnv(sandbox),
        fetch: globalThis.fetch,
        now: () => clock,
        stderr: write,
        progress,
        httpLog: createHttpLog(progress, undefined),
        sleep: async (ms) => {
          clock += ms;
          await new Promise((resolve) => setImmediate(resolve));
          // The authorization settles 30 s (on the run's clock) after it was created.
          const [stored] = sandbox.state.authorizations;
          if (stored && createdAt === undefined) createdAt = clock;
          if (stored && createdAt !== undefined && clock - createdAt >= 30_000 && stored.status === 'authorizing') {
            stored.status = 'authorized';
            stored.org = { id: '00DSB0000000WAIT', instanceUrl: sandbox.urls.login, userId: '005SB0000000WAIT', username: stored.username, accessToken: 'x', apiVersion: '62.0' };
          }
        },
      });
      const code = await runCli(['authorize', 'slow_org', '-a', 'acme-app', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, '--timeout', '120'], deps);
      expect({ code, stdout: deps.out().split('\n')[0] }).toEqual({ code: 0, stdout: 'Authorized slow_org (Salesforce) on add-on applink-sandbox-1 of app acme-app.' });

      const lines = stderr.trimEnd().split('\n');
      expect(lines[0]).toBe(`Exchanging the assertion at ${sandbox.urls.login}... accepted`);
      expect(lines.slice(1, 3)).toEqual(['The AppLink API answered 429, retrying in 2 s (2/4)', 'The AppLink API answered 429, retrying in 2 s (3/4)']);
      const heartbeats = lines.slice(3, -1);
      expect(heartbeats.length).toBeGreaterThanOrEqual(2);
      expect(heartbeats.length).toBeLessThanOrEqual(4);
      const elapsed = heartbeats.map((line) => {
        const match = /^Waiting for slow_org: authorizing\.\.\. \((\d+) s elapsed, (?:1 min (\d+) s|(\d+) s) left\)$/.exec(line);
        expect(match).not.toBeNull();
        return Number(match![1]);
      });
      // At most one heartbeat per 10 s, and at least one per 10 s plus a poll interval.
      elapsed.forEach((value, index) => expect(value - (index === 0 ? 0 : elapsed[index - 1]!)).toBeGreaterThanOrEqual(10));
      expect(elapsed[0]).toBeLessThan(16);
      expect(lines.at(-1)).toBe('Adding credentials for ci@acme.example to acme-app as slow_org... Authorized');
      expect(lines.filter((line) => line.startsWith('Exchanging'))).toHaveLength(1); // no start line
      expectNoSecrets([stderr, deps.out()], { privateKeys: [keys[0]!.pem], tokens: [sandbox.env().HEROKU_API_KEY!] });
    } finally {
      await sandbox.close();
      await cleanup();
    }
  });
});
