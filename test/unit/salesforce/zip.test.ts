/**
 * cli/salesforce/zip.ts writes what Info-ZIP's own `unzip` reads and checks (CRC-32 included), and
 * what the sandbox's reader (cli/sandbox/zip-reader.ts) reads back; the reader refuses damage.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { writeZip } from '../../../cli/salesforce/zip.js';
import { readZip } from '../../../cli/sandbox/zip-reader.js';

const ENTRIES = [
  { name: 'package.xml', data: '<Package/>\n' },
  { name: 'extlClntAppGlobalOauthSets/AppLink_B.ecaGlblOauth', data: Buffer.from('<ExtlClntAppGlobalOauthSettings>é</ExtlClntAppGlobalOauthSettings>\n') },
];

describe('writeZip', () => {
  it('writes stored entries that unzip tests and extracts unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zip-'));
    try {
      await writeFile(join(dir, 'deploy.zip'), writeZip(ENTRIES));
      const tested = await execa('unzip', ['-t', 'deploy.zip'], { cwd: dir });
      expect(tested.stdout).toContain('No errors detected in compressed data of deploy.zip.');
      const listed = await execa('unzip', ['-p', 'deploy.zip', 'extlClntAppGlobalOauthSets/AppLink_B.ecaGlblOauth'], { cwd: dir, encoding: 'buffer', stripFinalNewline: false });
      expect(Buffer.from(listed.stdout).toString('utf8')).toBe('<ExtlClntAppGlobalOauthSettings>é</ExtlClntAppGlobalOauthSettings>\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives the same bytes for the same entries, and the sandbox reads them back', () => {
    const zip = writeZip(ENTRIES);
    expect(writeZip(ENTRIES).equals(zip)).toBe(true);
    expect(readZip(zip).map((entry) => [entry.name, entry.data.toString('utf8')])).toEqual(ENTRIES.map((entry) => [entry.name, entry.data.toString()]));
  });

  it('is refused by the reader when a byte of an entry changed (CRC-32)', () => {
    const zip = writeZip(ENTRIES);
    zip[zip.indexOf('<Package/>') + 1] = 0x51;
    expect(() => readZip(zip)).toThrow('package.xml fails its CRC-32 check');
  });
});
