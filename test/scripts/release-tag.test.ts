/** scripts/release-tag.ts: a release tag must be v + package.json's version. */
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { checkReleaseTag } from '../../scripts/release-tag.js';
import { ROOT } from '../support/harness.js';

describe('checkReleaseTag', () => {
  it('passes the tag v + version', () => {
    expect(checkReleaseTag('v1.2.3', '1.2.3')).toEqual({ ok: true, message: 'Release tag v1.2.3 matches package.json version 1.2.3.' });
  });

  it('fails a release tag of another version, saying how to fix either side', () => {
    expect(checkReleaseTag('v1.3.0', '1.2.3')).toEqual({
      ok: false,
      message:
        'Release tag v1.3.0 does not match package.json version 1.2.3. Fix: set "version" to 1.3.0 in package.json (npm version 1.3.0 --no-git-tag-version), commit, and move the tag to that commit; ' +
        'or delete the tag (git push --delete origin v1.3.0) and tag v1.2.3.',
    });
  });

  it('fails a version tag that is not vX.Y.Z (orb-tools would not publish it)', () => {
    for (const tag of ['v1.2', 'v1.2.3-rc.1', 'v01.2.3x']) {
      expect(checkReleaseTag(tag, '1.2.3')).toEqual({
        ok: false,
        message: `Release tag ${tag} does not match package.json version 1.2.3 (a release tag is v followed by X.Y.Z, here v1.2.3). Fix: delete the tag (git push --delete origin ${tag}) and tag the commit v1.2.3.`,
      });
    }
  });

  it('fails when package.json holds a pre-release version (orb versions are X.Y.Z)', () => {
    expect(checkReleaseTag('v1.2.3-rc.1', '1.2.3-rc.1')).toMatchObject({ ok: false, message: expect.stringMatching(/^package\.json version 1\.2\.3-rc\.1 is not a release version X\.Y\.Z/) });
  });

  it('passes no tag and tags that are not version tags', () => {
    expect(checkReleaseTag('', '1.2.3')).toEqual({ ok: true, message: 'No tag (CIRCLE_TAG is empty): not a release, nothing to compare.' });
    expect(checkReleaseTag('docs-2026', '1.2.3')).toEqual({ ok: true, message: 'Tag docs-2026 is not a release tag (vX.Y.Z): nothing to compare.' });
  });
});

describe('scripts/release-tag.ts as the release_tag job runs it', () => {
  it("compares the argument with this repository's package.json: exit 1 and the fix on a mismatch, 0 on a match", async () => {
    const { version } = (await import(join(ROOT, 'package.json'), { with: { type: 'json' } })).default as { version: string };
    const run = (tag: string) => execa('node', ['scripts/run-ts.mjs', 'scripts/release-tag.ts', tag], { cwd: ROOT, reject: false, env: { CIRCLE_TAG: '' } });
    const [mismatch, match] = await Promise.all([run('v99.0.0'), run(`v${version}`)]);
    expect(mismatch).toMatchObject({ exitCode: 1, stdout: '', stderr: expect.stringMatching(new RegExp(`^Error: Release tag v99\\.0\\.0 does not match package\\.json version ${version.replaceAll('.', '\\.')}\\. Fix: `)) });
    expect(match).toMatchObject({ exitCode: 0, stdout: `Release tag v${version} matches package.json version ${version}.`, stderr: '' });
  });
});
