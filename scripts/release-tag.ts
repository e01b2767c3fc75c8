/**
 * `node scripts/run-ts.mjs scripts/release-tag.ts [tag]`: fails when a release tag (`vX.Y.Z`,
 * from the argument or CIRCLE_TAG) is not `v` + package.json's version, so the npm package, the
 * orb's pinned CLI version and the orb's production version are the same number. A tag that is
 * not a version tag (does not start with `v` and a digit) and an empty tag are not releases: it
 * says so and passes. Run it from the repository root.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The tags orb-tools/publish accepts for a production orb (its default tag_pattern, as written there). */
export const RELEASE_TAG = /^v[0-9]+\.[0-9]+\.[0-9]+$/;
const RELEASE_VERSION = /^[0-9]+\.[0-9]+\.[0-9]+$/;

export interface TagCheck {
  ok: boolean;
  /** One line for the job log: what was compared and, when it fails, the fix. */
  message: string;
}

/** Compares a git tag with the package version. */
export function checkReleaseTag(tag: string, version: string): TagCheck {
  if (tag === '') return { ok: true, message: 'No tag (CIRCLE_TAG is empty): not a release, nothing to compare.' };
  if (!/^v\d/.test(tag)) return { ok: true, message: `Tag ${tag} is not a release tag (vX.Y.Z): nothing to compare.` };
  if (!RELEASE_VERSION.test(version)) {
    return {
      ok: false,
      message:
        `package.json version ${version} is not a release version X.Y.Z (orb versions have no pre-release part), so tag ${tag} cannot release it. ` +
        'Fix: set "version" in package.json to X.Y.Z (npm version X.Y.Z --no-git-tag-version), commit, and tag that commit vX.Y.Z.',
    };
  }
  if (tag === `v${version}`) return { ok: true, message: `Release tag ${tag} matches package.json version ${version}.` };
  const wanted = RELEASE_TAG.test(tag) ? tag.slice(1) : undefined;
  return {
    ok: false,
    message:
      `Release tag ${tag} does not match package.json version ${version}` +
      (wanted === undefined ? ` (a release tag is v followed by X.Y.Z, here v${version}). ` : '. ') +
      (wanted === undefined
        ? `Fix: delete the tag (git push --delete origin ${tag}) and tag the commit v${version}.`
        : `Fix: set "version" to ${wanted} in package.json (npm version ${wanted} --no-git-tag-version), commit, and move the tag to that commit; or delete the tag (git push --delete origin ${tag}) and tag v${version}.`),
  };
}

async function main(): Promise<void> {
  const tag = process.argv[2] ?? process.env.CIRCLE_TAG ?? '';
  const { version } = JSON.parse(await readFile(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };
  const result = checkReleaseTag(tag, version);
  (result.ok ? process.stdout : process.stderr).write(`${result.ok ? '' : 'Error: '}${result.message}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

// Only when run as a script (the test imports checkReleaseTag).
if (/release-tag\.(ts|mjs)$/.test(process.argv[1] ?? '')) await main();
