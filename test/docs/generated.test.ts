/**
 * The generated parts of docs/ (orb reference, troubleshooting tables, option tables; see
 * scripts/docs-render.ts) must equal what the sources render today: a change to the orb, an error
 * catalogue or a command's options without `npm run docs` fails here. Also checks that the
 * documentation the CLI's hints point at exists, and that README links resolve.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { applySections, GENERATED_FILES, markerNames, orbReference, programCommands, renderSections } from '../../scripts/docs-render.js';
import { packOrb } from '../../scripts/orb/pack.js';
import { ROOT } from '../support/harness.js';

let sections: Record<string, string>;

beforeAll(async () => {
  sections = await renderSections(ROOT.replace(/\/$/, ''));
});

describe('generated documentation', () => {
  it.each(GENERATED_FILES)('%s is up to date (run npm run docs)', async (file) => {
    const text = await readFile(join(ROOT, file), 'utf8');
    expect(markerNames(text).length).toBeGreaterThan(0);
    const fresh = applySections(text, sections, file);
    if (fresh !== text) throw new Error(`${file} is stale: run npm run docs`);
  });

  it('shows every generated section somewhere', async () => {
    const used = new Set<string>();
    for (const file of GENERATED_FILES) for (const name of markerNames(await readFile(join(ROOT, file), 'utf8'))) used.add(name);
    expect(Object.keys(sections).filter((name) => !used.has(name))).toEqual([]);
  });

  it('has an option table for every command of the program', () => {
    expect([...programCommands().keys()].sort()).toEqual(['authorize', 'demo', 'info', 'keys check', 'keys generate', 'list', 'remove', 'rotate', 'sandbox', 'verify', 'version']);
  });

  it('lists every orb command, job, executor, parameter and example', async () => {
    const { orb } = await packOrb(join(ROOT, 'orb/src'));
    const reference = sections['orb-reference']!;
    const titles = { commands: '### Commands', jobs: '### Jobs', executors: '### Executors' } as const;
    for (const kind of ['commands', 'jobs', 'executors'] as const) {
      const from = reference.indexOf(`${titles[kind]}\n`);
      expect(from).toBeGreaterThanOrEqual(0);
      for (const [name, body] of Object.entries(orb[kind] as Record<string, { parameters?: Record<string, unknown> }>)) {
        const start = reference.indexOf(`#### \`applink/${name}\``, from);
        expect(start).toBeGreaterThanOrEqual(0);
        const section = reference.slice(start, reference.indexOf('\n#### ', start + 1) === -1 ? undefined : reference.indexOf('\n#### ', start + 1));
        for (const parameter of Object.keys(body.parameters ?? {})) expect(section).toContain(`| \`${parameter}\` |`);
      }
    }
    for (const example of Object.keys(orb.examples as Record<string, unknown>)) expect(reference).toContain(`#### ${example}\n`);
    expect(reference).toContain('- applink/authorize:');
  });

  it('names the orb as README imports it', async () => {
    const { orb } = await packOrb(join(ROOT, 'orb/src'));
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`  applink: ${orbReference(orb)}\n`);
  });

  it('puts a troubleshooting row under every error code', () => {
    for (const code of ['ERR_SF_USER_NOT_APPROVED', 'ERR_KEY_TRUNCATED', 'ERR_ADDON_NONE', 'ERR_HOST_NOT_ALLOWED', 'ERR_NETWORK', 'ERR_LOGIN_URL_HOST']) {
      expect(sections.troubleshooting).toMatch(new RegExp(`^\\| \`${code}\` \\| \\d+ \\|`, 'm'));
    }
  });
});

describe('documentation links', () => {
  it('resolve: every relative link in README.md and docs/*.md points at a file that exists', async () => {
    const files = ['README.md', ...(await readdir(join(ROOT, 'docs'))).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
    const broken: string[] = [];
    for (const file of files) {
      const text = await readFile(join(ROOT, file), 'utf8');
      for (const match of text.matchAll(/\]\((?!https?:|#)([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = join(ROOT, dirname(file), match[1]!);
        // docs/reliability.md is written by the reliability work; a link to it may come first.
        if (!existsSync(target) && !target.endsWith('docs/reliability.md')) broken.push(`${file}: ${match[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('name headings that exist, where a CLI hint points into the docs', async () => {
    const hints: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(join(ROOT, dir), { withFileTypes: true })) {
        if (entry.isDirectory()) await walk(`${dir}/${entry.name}`);
        else if (entry.name.endsWith('.ts')) {
          const text = await readFile(join(ROOT, dir, entry.name), 'utf8');
          for (const match of text.matchAll(/See "([^"]+)" in ((?:docs\/)?[\w.-]+\.md)/g)) hints.push(`${match[2]}#${match[1]}`);
        }
      }
    };
    await walk('cli');
    expect(hints.length).toBeGreaterThan(0);
    for (const hint of hints) {
      const [file, heading] = hint.split('#') as [string, string];
      expect(await readFile(join(ROOT, file), 'utf8')).toMatch(new RegExp(`^#+ ${heading}$`, 'm'));
    }
  });
});
