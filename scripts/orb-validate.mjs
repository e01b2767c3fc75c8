// `npm run orb:validate`: validates the orb source (packed on the fly) and .circleci/*.yml offline:
// CircleCI's JSON schema (../shared/circleci/schema.json), semantic checks, review rules RC001-RC012.
// Exits 1 when there is any finding.
import { fileURLToPath } from 'node:url';
import { loadOrbTools, packageVersion } from './orb-pack.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const tools = await loadOrbTools();
const version = await packageVersion();
const schemaPath = process.env.CIRCLECI_SCHEMA_PATH || `${root}../shared/circleci/schema.json`;
const options = { schemaPath, orbName: 'applink', releaseTag: process.env.CIRCLE_TAG || `v${version}`, version };

const orb = await tools.validateOrbSource('orb/src', options);
const reports = [orb];
if (orb.packed) {
  reports.push(await tools.validateConfigFile('.circleci/config.yml', { schemaPath }));
  reports.push(await tools.validateConfigFile('.circleci/test-deploy.yml', { schemaPath, inlineOrbs: { applink: orb.packed.orb } }));
}
const findings = reports.flatMap((report) => report.findings);
const notes = [...new Set(reports.flatMap((report) => report.notes))];
const text = tools.formatReport({ findings, notes });
if (text) process.stdout.write(`${text}\n`);
process.stdout.write(findings.length === 0 ? 'orb/src, .circleci/config.yml and .circleci/test-deploy.yml are valid.\n' : `${findings.length} finding(s).\n`);
process.exitCode = findings.length === 0 ? 0 : 1;
