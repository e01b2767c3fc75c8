/**
 * The orb tooling (packer and offline validator), bundled on its own into dist/orb-tools.mjs for
 * `npm run orb:pack` and `npm run orb:validate`; never loaded by the CLI.
 */
export { packOrb, readOrbSource, stringifyOrb, OrbPackError, VERSION_PLACEHOLDER, type OrbSource, type PackedOrb } from './pack.js';
export { validateOrbSource, validateConfigFile, formatReport, type ValidateOptions, type ValidationReport } from './validate.js';
export { formatFinding, type Finding } from './finding.js';
export { checkExternalOrbCalls, loadOrbInterfaces, ORB_INTERFACES_DIR, type OrbInterface, type OrbInterfaces } from './external-orbs.js';
