// `npm run orb:validate`: validates the orb source (packed on the fly) and .circleci/*.yml offline:
// CircleCI's JSON schema (vendored in third_party/circleci-config-schema/), semantic checks, review
// rules RC001-RC012, and every call into an external orb against its recorded interface
// (third_party/circleci-orb-interfaces/). Exits 1 when there is any finding; a missing schema is a
// finding. `--skip-schema` skips the schema layer on purpose, and the output says so.
import { fileURLToPath } from 'node:url';
import { loadOrbTools, packageVersion } from './orb-pack.mjs';

const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== '--skip-schema');
if (unknown.length > 0) {
  process.stderr.write(`Error: unknown argument ${unknown[0]}\nUsage: npm run orb:validate [-- --skip-schema]\n`);
  process.exit(2);
}
const skipSchema = args.includes('--skip-schema');
const root = fileURLToPath(new URL('../', import.meta.url));
const tools = await loadOrbTools();
const version = await packageVersion();
const schemaPath = process.env.CIRCLECI_SCHEMA_PATH || `${root}third_party/circleci-config-schema/schema.json`;
const options = { schemaPath, skipSchema, orbName: 'applink', releaseTag: process.env.CIRCLE_TAG || undefined, version };

const orbInterfaces = await tools.loadOrbInterfaces(`${root}${tools.ORB_INTERFACES_DIR}`);
const orb = await tools.validateOrbSource('orb/src', options);
const reports = [orb];
if (orb.packed) {
  reports.push(await tools.validateConfigFile('.circleci/config.yml', { schemaPath, skipSchema, orbInterfaces }));
  reports.push(await tools.validateConfigFile('.circleci/test-deploy.yml', { schemaPath, skipSchema, orbInterfaces, inlineOrbs: { applink: orb.packed.orb } }));
}
// One schema-missing finding is enough (every file reports it).
const findings = reports.flatMap((report) => report.findings).filter((finding, index, all) => finding.rule !== 'schema-missing' || all.findIndex((other) => other.rule === 'schema-missing') === index);
const notes = [...new Set(reports.flatMap((report) => report.notes))];
const text = tools.formatReport({ findings, notes });
if (text) process.stdout.write(`${text}\n`);
const subject = 'orb/src, .circleci/config.yml and .circleci/test-deploy.yml';
// Review rules this offline run cannot compute as orb-tools does, said every time (never "valid" silently).
const notRun = ['not run: RC006/RC007 (orb-tools/review fetches display.source_url and home_url and wants HTTP 200; that needs the network, so only the pipeline runs them; offline, url-syntax checks the URLs\' form)'];
if (!/^v\d+\.\d+\.\d+$/.test(options.releaseTag ?? '')) notRun.push('not run: RC011 (as in orb-tools, only on a vX.Y.Z release tag: CIRCLE_TAG)');
process.stdout.write(`${notRun.join('\n')}\n`);
if (findings.length > 0) process.stdout.write(`${findings.length} finding(s).\n`);
else if (skipSchema) process.stdout.write(`${subject} pass the semantic checks and review rules; the schema checks were SKIPPED (--skip-schema), so this is not a full validation.\n`);
else process.stdout.write(`${subject} are valid.\n`);
process.exitCode = findings.length === 0 ? 0 : 1;
