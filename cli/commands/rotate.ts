/**
 * `applink-jwt rotate`: the key rotation end to end, blue/green over two slots (two external client
 * apps, two AppLink authorizations), without downtime: a new key pair, its certificate deployed to
 * the idle slot's ECA, a wait until Salesforce accepts it, the idle slot's authorization, the switch
 * of the config var the app reads, the CI secret, and the removal of the old authorization. Local
 * input is checked first, every problem at once; `--plan` then reads and changes nothing.
 */
import { validateDeveloperName } from '../applink/developer-name.js';
import { planTarget, type AddonSelectionOptions } from '../applink/target.js';
import type { Deps } from '../deps.js';
import { InputError } from '../errors.js';
import { InputProblems } from '../input/problems.js';
import { resolveInput } from '../input/sources.js';
import type { CommandResult } from '../output.js';
import { audienceInput, loginUrlInput, usernameInput, type LoginOptions } from '../salesforce/login-input.js';
import { audienceFor, parseLoginUrl } from '../salesforce/login-url.js';
import { checkUsername } from '../salesforce/preflight.js';
import { planAdminCredential, resolveAdminCredential, splitCommand, type AdminCredentialOptions } from '../rotate/admin-credential.js';
import { planCircleCi, type CircleCiOptions } from '../rotate/circleci-input.js';
import type { RotateServices } from '../rotate/ports.js';
import { formatReport, type RotationReport } from '../rotate/report.js';
import { runRotation, singleSlotDowntime, type RotationSettings } from '../rotate/rotation.js';
import { createServices, type ServiceInputs } from '../rotate/services.js';
import type { SlotPair } from '../rotate/slots.js';
import { stateStore } from '../rotate/state.js';

/**
 * The integration user's login flags (`--username`, `--login-url` and its aliases `--login` and
 * `--instance-url`, `--audience`, `--allow-login-host`) are verify's and authorize's.
 */
type RotateLoginOptions = Pick<LoginOptions, 'username' | 'loginUrl' | 'login' | 'instanceUrl' | 'audience' | 'allowLoginHosts'>;

export interface RotateOptions extends AddonSelectionOptions, AdminCredentialOptions, CircleCiOptions, RotateLoginOptions {
  /** `--base-name`: the authorizations are `<base>_a` and `<base>_b`. */
  baseName?: string;
  /** `--authorization-a` / `--authorization-b`: the developer names, when not from `--base-name`. */
  authorizationA?: string;
  authorizationB?: string;
  /** `--eca-a` / `--eca-b`: the ECAs' global OAuth settings names; `--eca` with `--single-slot`. */
  ecaA?: string;
  ecaB?: string;
  eca?: string;
  /** `--config-var`: the config var the app reads the authorization's developer name from. */
  configVar: string;
  /** `--state-dir`: the 0600 key and progress, for a resume. */
  stateDir?: string;
  plan: boolean;
  singleSlot: boolean;
  yes: boolean;
  keepOld: boolean;
  graceMs: number;
  checkCommand?: string;
  keyBits: number;
  keyDays: number;
  deployTimeoutMs: number;
  propagationTimeoutMs: number;
  pollIntervalMs: number;
  timeoutMs: number;
  json: boolean;
}

const ECA_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;

function checkEcaName(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') {
    throw new InputError('ERR_ROTATE_SLOTS', `No ${flag}: the name of the external client app's global OAuth settings is needed.`, {
      hint: `Pass ${flag} <name>: the <Name> of extlClntAppGlobalOauthSets/<Name>.ecaGlblOauth (usually the ECA's API name). See docs/rotation.md, one-time setup.`,
    });
  }
  if (!ECA_NAME.test(value.trim())) {
    throw new InputError('ERR_ROTATE_SLOTS', `${flag} "${value.slice(0, 80)}" is not a metadata name (a letter, then letters, digits and underscores, at most 80).`, {
      hint: `Use the API name of the ECA's global OAuth settings, such as AppLink_JWT_A.`,
    });
  }
  return value.trim();
}

/** The two slots from the flags; every problem of them at once. */
export function slotPairOf(options: RotateOptions): SlotPair {
  const problems = new InputProblems();
  const name = (explicit: string | undefined, suffix: string, flag: string) =>
    problems.check(() => {
      if (explicit !== undefined) return validateDeveloperName(explicit);
      if (options.baseName === undefined) {
        throw new InputError('ERR_ROTATE_SLOTS', `No ${flag} and no --base-name: the developer name of each slot's authorization is needed.`, {
          hint: 'Pass --base-name <name> (the authorizations are <name>_a and <name>_b), or --authorization-a and --authorization-b.',
        });
      }
      return validateDeveloperName(`${options.baseName}_${suffix}`);
    });
  const a = name(options.authorizationA, 'a', '--authorization-a');
  const b = name(options.authorizationB, 'b', '--authorization-b');
  if (a !== undefined && a === b) problems.add(new InputError('ERR_ROTATE_SLOTS', `Both slots are named ${a}; the two authorizations need different developer names.`, { hint: 'Give --authorization-a and --authorization-b different names.' }));
  let ecaA: string | undefined;
  let ecaB: string | undefined;
  if (options.singleSlot) {
    if (options.ecaB !== undefined) problems.add(new InputError('ERR_ROTATE_SLOTS', '--eca-b is given with --single-slot, which uses one ECA.', { hint: 'Pass --eca <name> alone with --single-slot, or drop --single-slot for a blue/green rotation.' }));
    ecaA = ecaB = problems.check(() => checkEcaName(options.eca ?? options.ecaA, '--eca'));
  } else {
    if (options.eca !== undefined) problems.add(new InputError('ERR_ROTATE_SLOTS', '--eca names the one ECA of --single-slot; a blue/green rotation needs --eca-a and --eca-b.', { hint: 'Pass --eca-a and --eca-b, or add --single-slot (with its downtime).' }));
    ecaA = problems.check(() => checkEcaName(options.ecaA, '--eca-a'));
    ecaB = problems.check(() => checkEcaName(options.ecaB, '--eca-b'));
    if (ecaA !== undefined && ecaA === ecaB) {
      problems.add(new InputError('ERR_ROTATE_SLOTS', `--eca-a and --eca-b are both ${ecaA}: blue/green needs two ECAs (one holds one certificate).`, { hint: 'Give the second ECA to --eca-b, or rotate in place with --single-slot (with downtime).' }));
    }
  }
  problems.throwIfAny();
  return { a: { id: 'a', authorization: a!, eca: ecaA! }, b: { id: 'b', authorization: b!, eca: ecaB! }, singleSlot: options.singleSlot };
}

/**
 * Runs the rotation (or `--plan`). `services` builds the service clients from the checked inputs
 * (tests pass their own).
 */
export async function runRotate(
  options: RotateOptions,
  deps: Deps,
  services: (inputs: ServiceInputs, deps: Deps) => RotateServices = createServices,
): Promise<CommandResult<RotationReport>> {
  // 1. Everything local, before any request; every problem at once.
  const problems = new InputProblems();
  const slots = problems.check(() => slotPairOf(options));
  const configVar = problems.check(() => {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,199}$/.test(options.configVar)) {
      throw new InputError('ERR_ROTATE_SLOTS', `--config-var "${options.configVar.slice(0, 80)}" is not a config var name.`, { hint: 'Use the name the app reads the authorization name from, such as APPLINK_AUTH_NAME.' });
    }
    return options.configVar;
  });
  if (options.app === undefined && options.remote === undefined && deps.env.HEROKU_APP === undefined && deps.env.HEROKU_APP_NAME === undefined && deps.env.HEROKU_APPLINK_API_URL !== undefined) {
    problems.add(
      new InputError('ERR_APP_MISSING', 'No app given: rotate switches the app through its config vars, so it needs the app (direct mode is not enough).', {
        hint: 'Pass -a/--app <app> (or set HEROKU_APP) with HEROKU_API_KEY or heroku login.',
      }),
    );
  }
  const target = await problems.checkAsync(() => planTarget(options, deps));
  const username = await problems.checkAsync(async () => checkUsername((await resolveInput(usernameInput(options), deps))?.value));
  const loginUrl = await problems.checkAsync(async () => {
    const found = await resolveInput(loginUrlInput(options), deps);
    return { parsed: parseLoginUrl(found!.value, { allowLoginHosts: options.allowLoginHosts, flag: found!.source === 'default' ? '--login-url' : found!.source }), given: found!.source !== 'default' };
  });
  const audience = await problems.checkAsync(async () => (loginUrl === undefined ? undefined : audienceFor(loginUrl.parsed.url, (await resolveInput(audienceInput(options), deps))?.value)));
  const admin = problems.check(() => planAdminCredential(options, deps.env));
  const circleci = problems.check(() => planCircleCi(options, deps.env));
  const checkCommand = options.checkCommand === undefined ? undefined : problems.check(() => {
    const argv = splitCommand(options.checkCommand!);
    if (argv.length === 0) throw new InputError('ERR_ROTATE_COMMAND', '--check-command is empty.', { hint: 'Give the command to run after the switch, such as "curl -fsS https://my-app.herokuapp.com/health", or leave the flag out.' });
    return argv;
  });
  if (options.singleSlot && !options.yes && !options.plan) {
    problems.add(
      new InputError('ERR_ROTATE_CONFIRM_REQUIRED', '--single-slot swaps the certificate of the only ECA in place: the app fails from when the new certificate reaches the login servers until it is switched to the new authorization (several minutes).', {
        hint: 'Run it with --plan first to see the steps; pass --yes to accept the downtime; or set up a second ECA for a rotation without downtime (docs/rotation.md).',
      }),
    );
  }
  problems.throwIfAny();
  if (slots === undefined || configVar === undefined || target === undefined || username === undefined || loginUrl === undefined || audience === undefined || admin === undefined || circleci === undefined) {
    throw new Error('unreachable');
  }
  if (target.mode !== 'platform') throw new Error('unreachable: direct mode is refused above');
  for (const note of target.notes ?? []) deps.progress.note(note);

  const settings: RotationSettings = {
    app: target.resolve.app,
    configVar,
    slots,
    username,
    loginUrl: loginUrl.parsed.url,
    audience,
    ...(loginUrl.given ? { appLinkLoginUrl: loginUrl.parsed.url.origin } : {}),
    key: { bits: options.keyBits, days: options.keyDays, subject: `CN=applink-jwt ${target.resolve.app}` },
    ...(circleci.settings ? { circleci: circleci.settings } : {}),
    ...(checkCommand ? { checkCommand } : {}),
    graceMs: options.graceMs,
    keepOld: options.keepOld,
    deployTimeoutMs: options.deployTimeoutMs,
    propagationTimeoutMs: options.propagationTimeoutMs,
    pollIntervalMs: options.pollIntervalMs,
    authorizationTimeoutMs: options.timeoutMs,
    plan: options.plan,
  };
  // 2. The credentials that take a command to read, then the services.
  const credential = await resolveAdminCredential(admin, deps);
  const clients = services({ platform: target.resolve, admin: credential, ...(circleci.client ? { circleci: circleci.client } : {}), allowLoginHosts: options.allowLoginHosts, pollIntervalMs: options.pollIntervalMs }, deps);
  const store = options.stateDir === undefined ? undefined : stateStore(options.stateDir, deps.fs);
  // Stated up front, before anything changes (it is in the report too).
  if (slots.singleSlot) deps.progress.note(`Downtime: ${singleSlotDowntime(settings)}`);
  const report = await runRotation(settings, clients, store, deps);
  const warnings = [...target.warnings, ...loginUrl.parsed.warnings];
  return { json: report, text: formatReport(report), warnings };
}
