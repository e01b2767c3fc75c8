/**
 * The examples of `applink-jwt rotate --help` run as written: they are taken from the built
 * binary's help output (not a copy), and each runs in bash, in a directory of its own, against a
 * real `applink-jwt sandbox` process prepared the way docs/rotation.md prepares its org: two slots
 * (ECAs AppLink_A and AppLink_B, both pre-authorized for the integration user) plus a one-ECA org's
 * `AppLink` for the --single-slot example, the admin who may deploy, the app `my-app` reading
 * APPLINK_AUTH_NAME=my_org_a, slot A's authorization created with `applink-jwt authorize`, and the
 * CircleCI context `applink` of gh/acme. The sandbox's env file gives the example its environment
 * (HEROKU_*, SF_LOGIN_URL, SF_USERNAME, CIRCLE_TOKEN, CIRCLECI_API_URL), and the admin credential
 * is in SF_ADMIN_ACCESS_TOKEN/SF_ADMIN_INSTANCE_URL, as a user exports it from `sf org display`.
 *
 * Stand-in: the Salesforce CLI cannot be installed here, so `sf` on the PATH is a two-line script
 * that prints what the sandbox's `GET /__sandbox/org-display` answers (the `sf org display --json`
 * shape) for the examples' `--admin-command "sf org display --target-org admin --json"`.
 *
 * Time: the sandbox deploys and propagates at once (deployDelayMs 0, propagationDelayMs 0), so the
 * examples' default --poll-interval (10 s) is never waited; their default --grace (60 s) is, so the
 * examples run at the same time, each with its own sandbox (about a minute, nearly all of it asleep).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN } from '../support/harness.js';

/** The `$ ...` lines of the Examples section, continuation lines (ending in a backslash) joined. */
export function helpExamples(help: string): string[] {
  const section = help.split('\nExamples:\n')[1];
  if (section === undefined) return [];
  const examples: string[] = [];
  let current: string | undefined;
  for (const line of section.split('\n')) {
    if (current !== undefined) {
      current = `${current}\n${line}`;
    } else {
      const start = /^ {2}\$ (.*)$/.exec(line);
      if (!start) {
        if (line.trim() === '' && examples.length > 0) break;
        continue;
      }
      current = start[1]!;
    }
    if (!current.endsWith('\\')) {
      examples.push(current);
      current = undefined;
    }
  }
  return examples;
}

const STATE = (certificate: string) => `settings: { propagationDelayMs: 0, deployDelayMs: 0, settleDelayMs: 0 }
orgs:
  - name: acme
    users:
      - { username: ci@acme.example }
      - { username: admin@acme.example, permissions: [ModifyMetadata, ManageExternalClientApps, ViewConsumerSecretsInMetadata] }
    externalClientApps:
      - { name: AppLink A, developerName: AppLink_A, consumerKey: 3MVG9sandbox.SlotA, certificate: ${certificate}, preAuthorized: [ci@acme.example] }
      - { name: AppLink B, developerName: AppLink_B, consumerKey: 3MVG9sandbox.SlotB, preAuthorized: [ci@acme.example] }
      - { name: AppLink, developerName: AppLink, consumerKey: 3MVG9sandbox.OneSlot, certificate: ${certificate}, preAuthorized: [ci@acme.example] }
apps:
  - { name: my-app, addons: [{ name: applink-sandbox-1 }], configVars: { APPLINK_AUTH_NAME: my_org_a } }
circleci:
  organizations: [{ slug: gh/acme, contexts: [{ name: applink }] }]
`;

const PREPARE = (clientId: string) => `set -e
applink-jwt keys generate --dir keys-a --bits 2048 > /dev/null 2>&1
cat > rotation.yml <<'EOF'
${STATE('keys-a/server.crt')}EOF
applink-jwt sandbox --state rotation.yml --env-out rotation.env > sandbox.log 2>&1 &
for i in $(seq 300); do [ -f rotation.env ] && break; sleep 0.1; done
. ./rotation.env
printf '#!/bin/sh\\n# stand-in for the Salesforce CLI: what sf org display --json prints, from the sandbox\\nexec curl -sS --fail "%s/__sandbox/org-display"\\n' "$SF_LOGIN_URL" > bin/sf
chmod +x bin/sf
applink-jwt authorize my_org_a -a my-app --client-id ${clientId} --login-url "$SF_LOGIN_URL" --jwt-key-file keys-a/server.key > prepare.log 2>&1
display=$(sf org display --target-org admin --json)
export SF_ADMIN_ACCESS_TOKEN=$(printf '%s' "$display" | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.stdout.write(JSON.parse(s).result.accessToken))')
export SF_ADMIN_INSTANCE_URL=$(printf '%s' "$display" | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.stdout.write(JSON.parse(s).result.instanceUrl))')
set +e
`;

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'applink-jwt-rotate-help-'));
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('applink-jwt rotate --help', () => {
  it('finds the examples in the help output, continuation lines joined', () => {
    expect(helpExamples('Usage: x\n\nExamples:\n  $ a --b \\\n      --c d\n  $ e\n\nExit codes: 0\n  $ not-an-example\n')).toEqual(['a --b \\\n      --c d', 'e']);
    expect(helpExamples('Usage: x\n')).toEqual([]);
  });

  it('every example runs as written against a sandbox with two slots, and exits 0', async () => {
    const help = await execa(process.execPath, [BIN, 'rotate', '--help'], { reject: false });
    expect(help.exitCode).toBe(0);
    const examples = helpExamples(help.stdout);
    expect(examples.length).toBeGreaterThanOrEqual(4);
    for (const example of examples) expect(example).toMatch(/^applink-jwt rotate /);

    const results = await Promise.all(
      examples.map(async (example, index) => {
        const work = join(scratch, `example-${index + 1}`);
        await mkdir(join(work, 'bin'), { recursive: true });
        await writeFile(join(work, 'bin', 'applink-jwt'), `#!/usr/bin/env bash\nexec node "${BIN}" "$@"\n`);
        await chmod(join(work, 'bin', 'applink-jwt'), 0o755);
        const clientId = /--single-slot\b/.test(example) ? '3MVG9sandbox.OneSlot' : '3MVG9sandbox.SlotA';
        const script = [
          PREPARE(clientId),
          example,
          'code=$?',
          'for job in $(jobs -p); do kill -INT "$job"; done',
          'wait',
          'exit $code',
        ].join('\n');
        const env = { PATH: `${join(work, 'bin')}:${process.env.PATH}`, HOME: work };
        const result = await execa('bash', ['-c', script], { cwd: work, env, extendEnv: false, reject: false, all: true, timeout: 240_000 });
        return { example, work, result };
      }),
    );
    const failed = results.filter(({ result }) => result.exitCode !== 0).map(({ example, result }) => `\`${example}\` exited ${result.exitCode}:\n${String(result.all).slice(-3000)}`);
    expect(failed).toEqual([]);
    // Each ran against its own sandbox, which has stopped (it removes its env file on SIGINT).
    for (const { work } of results) await expect(stat(join(work, 'rotation.env'))).rejects.toThrow(/ENOENT/);
    // What each printed names the slot it switched to (or, with --plan, would switch to).
    for (const { result } of results) expect(String(result.stdout)).toContain('my_org_b');
  }, 300_000);
});
