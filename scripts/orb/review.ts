/**
 * Layer 3 of the orb validator: orb-tools' review rules RC001-RC012 (review.bats, orb-tools v12),
 * ported to run offline on the orb source. RC004 is implemented as intended (upstream it is a
 * no-op); RC006/RC007 check URL syntax instead of fetching the URL.
 */
import { basename } from 'node:path';
import type { Finding } from './finding.js';
import type { OrbSource } from './pack.js';
import { isPlainObject, type OrbPath } from './tree.js';

export interface ReviewOptions {
  /** Rule codes to skip (orb-tools' `exclude`). */
  exclude?: readonly string[];
  /** The alias examples import the orb under (orb-tools' `orb_name`); RC011 runs only with it. */
  orbName?: string;
  /** The release tag (`vX.Y.Z`, as CIRCLE_TAG); RC011 compares the examples' major with it. */
  releaseTag?: string;
  /** RC009's limit for an inline `run` command (orb-tools' default: 64). */
  maxCommandLength?: number;
}

const COMPONENT_KINDS = ['jobs', 'commands', 'executors', 'examples'] as const;

function components(tree: Record<string, unknown>, kind: string): Array<[string, unknown]> {
  const value = tree[kind];
  return isPlainObject(value) ? Object.entries(value) : [];
}

/** Every `run` step under `value` (including nested `when`/`unless` steps), with its path. */
function runSteps(value: unknown, path: OrbPath, found: Array<{ run: unknown; path: OrbPath }>): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      if (isPlainObject(item) && 'run' in item) found.push({ run: item.run, path: [...path, index, 'run'] });
      runSteps(item, [...path, index], found);
    });
  } else if (isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) runSteps(child, [...path, key], found);
  }
}

function isValidUrl(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(url.hostname) && text.trim() === text;
  } catch {
    return false;
  }
}

/** Runs RC001-RC012 on the orb source; returns one finding per violation. */
export function reviewOrb(source: OrbSource, options: ReviewOptions = {}): Finding[] {
  const { tree } = source;
  const skip = new Set(options.exclude ?? []);
  const maxCommandLength = options.maxCommandLength ?? 64;
  const rootFile = `${source.root}/@orb.yml`.replace(/\/+/g, '/');
  const fileOf = (path: OrbPath) => source.sources[path.slice(0, 2).join('.')] ?? source.sources[String(path[0])] ?? rootFile;
  const findings: Finding[] = [];
  const add = (rule: string, path: OrbPath, message: string) => {
    if (!skip.has(rule)) findings.push({ rule, file: fileOf(path), path, message });
  };
  const display = isPlainObject(tree.display) ? tree.display : {};

  if (display.source_url === undefined || display.source_url === null) {
    add('RC001', ['display', 'source_url'], 'set display.source_url in @orb.yml (the repository of the orb source)');
  } else if (!isValidUrl(display.source_url)) {
    add('RC006', ['display', 'source_url'], `source_url "${String(display.source_url)}" is not a valid http(s) URL`);
  }
  if (display.home_url !== undefined && display.home_url !== null && !isValidUrl(display.home_url)) {
    add('RC007', ['display', 'home_url'], `home_url "${String(display.home_url)}" is not a valid http(s) URL`);
  }

  for (const kind of COMPONENT_KINDS) {
    for (const [name, component] of components(tree, kind)) {
      const description = isPlainObject(component) ? component.description : undefined;
      if (typeof description !== 'string' || description.trim() === '') {
        add('RC002', [kind, name, 'description'], `${kind.slice(0, -1)} "${name}" has no description; every component needs one (it is shown in the orb registry)`);
      }
    }
  }

  const examples = components(tree, 'examples');
  if (examples.length === 0) add('RC003', ['examples'], 'the orb has no usage example; add one under examples/ for each use case');
  for (const [name] of examples) {
    if (/example/i.test(name)) add('RC004', ['examples', name], `example name "${name}" contains "example"; name it after its use case (for example authorize_before_deploy)`);
  }

  const description = tree.description;
  if (typeof description !== 'string' || description.length < 64) {
    add('RC005', ['description'], `the orb description is ${typeof description === 'string' ? description.length : 0} characters; write at least 64 that say what the orb is for (it is used by the registry search)`);
  }

  for (const kind of ['jobs', 'commands'] as const) {
    for (const [name, component] of components(tree, kind)) {
      const found: Array<{ run: unknown; path: OrbPath }> = [];
      runSteps(isPlainObject(component) ? component.steps : undefined, [kind, name, 'steps'], found);
      for (const { run, path } of found) {
        if (!isPlainObject(run)) {
          add('RC008', path, 'run step uses the string form; write it as a map with a name and a command');
          add('RC009', path, 'run step uses the string form; write it as a map whose command is <<include(scripts/<file>.sh)>>');
          continue;
        }
        if (typeof run.name !== 'string' || run.name === '') add('RC008', path, 'run step has no name; add one so the step reads well in the CircleCI UI');
        const command = typeof run.command === 'string' ? run.command : '';
        if (command.length > maxCommandLength && !/<<include\(/.test(command)) {
          add('RC009', [...path, 'command'], `inline command is ${command.length} characters (more than ${maxCommandLength}); move it to scripts/ and use <<include(scripts/<file>.sh)>>`);
        }
      }
    }
  }

  for (const kind of ['jobs', 'commands', 'executors'] as const) {
    for (const [name, component] of components(tree, kind)) {
      const file = source.sources[`${kind}.${name}`];
      const fileName = file === undefined ? name : basename(file);
      if (fileName.includes('-')) add('RC010', [kind, name], `file name "${fileName}" is not snake_case; rename it with underscores`);
      const parameters = isPlainObject(component) && isPlainObject(component.parameters) ? component.parameters : {};
      for (const parameter of Object.keys(parameters)) {
        if (parameter.includes('-')) add('RC010', [kind, name, 'parameters', parameter], `parameter "${parameter}" is not snake_case; rename it with underscores`);
      }
    }
  }

  const tag = options.releaseTag;
  if (options.orbName !== undefined && tag !== undefined && /^v[0-9]+\.[0-9]+\.[0-9]+$/.test(tag)) {
    const major = tag.slice(1).split('.')[0];
    for (const [name, example] of examples) {
      const usage = isPlainObject(example) && isPlainObject(example.usage) ? example.usage : {};
      const orbs = isPlainObject(usage.orbs) ? usage.orbs : {};
      const ref = orbs[options.orbName];
      const path = ['examples', name, 'usage', 'orbs', options.orbName];
      if (typeof ref !== 'string') {
        add('RC011', path, `example "${name}" does not import the orb as "${options.orbName}"`);
      } else if (ref.split('@')[1]?.split('.')[0] !== major) {
        add('RC011', path, `example "${name}" uses ${ref}, but the release ${tag} is major version ${major}; update the example to @${major}.x`);
      }
    }
  }

  for (const kind of ['jobs', 'commands', 'executors'] as const) {
    for (const [name, component] of components(tree, kind)) {
      if (!isPlainObject(component) || !isPlainObject(component.parameters)) continue;
      for (const [parameter, spec] of Object.entries(component.parameters)) {
        const fallback = isPlainObject(spec) ? spec.default : undefined;
        if (typeof fallback !== 'string' || !/\$./.test(fallback)) continue;
        const mention = new RegExp(`parameters\\.${parameter}\\b`);
        const visit = (value: unknown, path: OrbPath, lastKey: string): void => {
          if (typeof value === 'string') {
            if (/keys?$/.test(lastKey) && mention.test(value)) {
              add('RC012', path, `parameter "${parameter}" defaults to "${fallback}", which is not expanded in ${lastKey}: (environment variables are not expanded at compile time); use a value without $`);
            }
          } else if (Array.isArray(value)) {
            value.forEach((item, index) => visit(item, [...path, index], lastKey));
          } else if (isPlainObject(value)) {
            for (const [key, child] of Object.entries(value)) if (key !== 'parameters') visit(child, [...path, key], key);
          }
        };
        visit(component, [kind, name], '');
      }
    }
  }
  return findings;
}
