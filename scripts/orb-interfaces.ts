/**
 * Records the public interface of one release of an external CircleCI orb (job, command and
 * executor names; each parameter's type, default, enum, and whether it is required; what its jobs
 * persist to and read from the workspace) as data in third_party/circleci-orb-interfaces/
 * `<namespace>.<orb>@<version>.json`; then add its sha256 line to that folder's README
 * (test/repo/third-party.test.ts checks it). Run it from the repository root. It reads a git clone
 * of the orb's source at the release tag; descriptions and steps are not copied. The config check
 * (`checkExternalOrbCalls`) reads these files.
 *
 *   node scripts/run-ts.mjs scripts/orb-interfaces.ts <git-dir> <tag> <namespace/orb> <license> <repository-url>
 *
 * Example: node scripts/run-ts.mjs scripts/orb-interfaces.ts ~/src/orb-tools-orb/.git v12.4.0 \
 *            circleci/orb-tools MIT https://github.com/CircleCI-Public/orb-tools-orb
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { interfaceFileName, ORB_INTERFACES_DIR, type OrbInterface, type ParameterInterface, type WorkspaceUse } from './orb/external-orbs.js';

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function git(gitDir: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function parameterOf(spec: Record<string, unknown>): ParameterInterface {
  const out: ParameterInterface = { type: String(spec.type), required: spec.default === undefined };
  if (spec.default !== undefined) out.default = spec.default as ParameterInterface['default'];
  if (Array.isArray(spec.enum)) out.enum = spec.enum.map(String);
  return out;
}

/** `<<parameters.x>>` (whole value) -> `x`; anything else -> undefined. */
function parameterName(value: unknown): string | undefined {
  return typeof value === 'string' ? /^<<\s*parameters\.([\w-]+)\s*>>$/.exec(value)?.[1] : undefined;
}

// orb-tools' scripts/workspace-prep.sh untars `${ORB_VAL_ORB_DIR}/orb_source.tar.gz` when the step
// sets ORB_VAL_UNTAR: true (and tars the folder into that file with ORB_VAL_TAR: true).
const UNTAR_SCRIPT = /scripts\/workspace-prep\.sh/;

function workspaceUses(steps: unknown, condition?: string): WorkspaceUse[] {
  if (!Array.isArray(steps)) return [];
  const uses: WorkspaceUse[] = [];
  let attach: Extract<WorkspaceUse, { kind: 'attach' }> | undefined;
  for (const step of steps) {
    if (!isMap(step)) continue;
    const [name] = Object.keys(step);
    const args = step[name!];
    if ((name === 'when' || name === 'unless') && isMap(args)) {
      const param = name === 'when' ? parameterName(args.condition) : undefined;
      uses.push(...workspaceUses(args.steps, param ?? condition));
    } else if (name === 'persist_to_workspace' && isMap(args)) {
      const paths = Array.isArray(args.paths) ? args.paths.map(String) : [];
      uses.push({ kind: 'persist', root: String(args.root), paths, ...(condition ? { if: condition } : {}) });
    } else if (name === 'attach_workspace' && isMap(args)) {
      attach = { kind: 'attach', at: String(args.at), reads: [], ...(condition ? { if: condition } : {}) };
      uses.push(attach);
    } else if (name === 'run' && isMap(args) && attach && UNTAR_SCRIPT.test(String(args.command)) && isMap(args.environment) && String(args.environment.ORB_VAL_UNTAR) === 'true') {
      attach.reads = ['orb_source.tar.gz'];
    }
  }
  return uses;
}

function main(): void {
  const [gitDir, tag, orb, license, repository] = process.argv.slice(2);
  if (!gitDir || !tag || !orb || !license || !repository) {
    process.stderr.write('usage: orb-interfaces.ts <git-dir> <tag> <namespace/orb> <license> <repository-url>\n');
    process.exitCode = 2;
    return;
  }
  const commit = git(gitDir, 'rev-parse', `${tag}^{commit}`).trim();
  const files = git(gitDir, 'ls-tree', '-r', '--name-only', commit, 'src/')
    .split('\n')
    .filter((path) => /^src\/(commands|executors|jobs)\/[^/]+\.ya?ml$/.test(path))
    .sort();
  const record: OrbInterface = {
    orb,
    version: tag.replace(/^v/, ''),
    source: { repository, tag, commit, license, files: {} },
    commands: {},
    executors: {},
    jobs: {},
  };
  for (const path of files) {
    const text = git(gitDir, 'show', `${commit}:${path}`);
    record.source.files[path] = createHash('sha256').update(text).digest('hex');
    const [, kind, name] = /^src\/(commands|executors|jobs)\/([^/]+)\.ya?ml$/.exec(path)!;
    const component = YAML.parse(text) as Record<string, unknown>;
    const parameters: Record<string, ParameterInterface> = {};
    if (isMap(component.parameters)) {
      for (const [param, spec] of Object.entries(component.parameters)) if (isMap(spec)) parameters[param] = parameterOf(spec);
    }
    const entry: OrbInterface['jobs'][string] = { parameters };
    if (kind === 'jobs') {
      const workspace = workspaceUses(component.steps);
      if (workspace.length > 0) entry.workspace = workspace;
    }
    (record[kind as 'commands' | 'executors' | 'jobs'])[name!] = entry;
  }
  // Run from the repository root (run-ts.mjs bundles this file elsewhere, so import.meta.url is no guide).
  const file = interfaceFileName(`${orb}@${record.version}`);
  const out = join(process.cwd(), ORB_INTERFACES_DIR, file);
  writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`Wrote ${join(ORB_INTERFACES_DIR, file)} (${files.length} components of ${orb} ${tag}, ${commit}).\n`);
}

main();
