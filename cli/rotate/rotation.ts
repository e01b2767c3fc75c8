/**
 * The rotation itself: seven steps over the services of {@link RotateServices}, each checking what
 * is in effect before it acts, so a second run resumes where the first stopped (the rules of the
 * reference: never update CI before Salesforce and AppLink accept the new key; never remove the old
 * authorization before the app has switched; the new key is on disk only in `--state-dir`, 0600,
 * before anything remote changes). `plan` reads what it needs and changes nothing.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { defaultAlias } from '../applink/developer-name.js';
import type { Deps } from '../deps.js';
import { AppError, CheckFailedError, InputError, InterruptedError, TimeoutError } from '../errors.js';
import { generateKeyMaterial } from '../keys/generate.js';
import { describeDuration } from '../text.js';
import type { RotateServices } from './ports.js';
import { formatReport, slotJson, STEP_TITLES, type RotationReport, type StepReport } from './report.js';
import { otherSlot, slotNamed, type Slot, type SlotPair } from './slots.js';
import { STEP_IDS, type RotationRecord, type RotationStateStore, type StepId } from './state.js';

export interface CircleCiSettings {
  /** `gh/acme`, `bb/acme` or `circleci/<org-id>`. */
  ownerSlug: string;
  context: string;
  /** The variable that holds the private key (`JWT_PRIVATE_KEY`). */
  keyVariable: string;
  /** The variable that holds the consumer key (`SF_CLIENT_ID`), set to the new slot's; none when undefined. */
  clientIdVariable?: string;
  /** The variable that gets the new certificate PEM (public: the orb's check_key reads it); none when undefined. */
  certificateVariable?: string;
}

export interface RotationSettings {
  app: string;
  /** The config var the app reads the authorization's developer name from. */
  configVar: string;
  slots: SlotPair;
  /** The integration user pre-authorized in both ECAs. */
  username: string;
  /** Where the login probe goes, and its audience. */
  loginUrl: URL;
  audience: string;
  /** `login_url` sent to AppLink (only when the user gave one, as `authorize` does). */
  appLinkLoginUrl?: string;
  key: { bits: number; days: number; subject: string };
  circleci?: CircleCiSettings;
  /** A command run after the switch (argv, no shell); a non-zero exit stops the run. */
  checkCommand?: readonly string[];
  /** Wait this long after the switch before removing the old authorization. */
  graceMs: number;
  /** Leave the old authorization (step 7 skipped). */
  keepOld: boolean;
  deployTimeoutMs: number;
  propagationTimeoutMs: number;
  pollIntervalMs: number;
  authorizationTimeoutMs: number;
  plan: boolean;
}

export type RotationDeps = Pick<Deps, 'now' | 'sleep' | 'signal' | 'progress' | 'secrets' | 'run' | 'env' | 'cwd'>;

/** `updated_at` may lag our clock by this much and still count as this run's write. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** Certificates compare by their DER bytes (whitespace and line length of the PEM do not matter). */
export function sameCertificate(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  try {
    return new X509Certificate(a).raw.equals(new X509Certificate(b).raw);
  } catch {
    return false;
  }
}

/** SHA-256 of the certificate's DER, colon-separated hex (as Salesforce shows it). */
export function certificateFingerprint(pem: string): string {
  return createHash('sha256')
    .update(new X509Certificate(pem).raw)
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}

/**
 * Runs (or with `plan`, plans) the rotation and returns its report. A step that fails throws the
 * service's error, annotated with the step, what is in effect and how to roll back
 * (`details.rotation`).
 */
export async function runRotation(settings: RotationSettings, services: RotateServices, store: RotationStateStore | undefined, deps: RotationDeps): Promise<RotationReport> {
  const { slots, app, configVar } = settings;
  const steps: StepReport[] = STEP_IDS.map((id, index) => ({ number: index + 1, id, title: STEP_TITLES[id], status: 'not-reached', changes: [] }));
  const step = (id: StepId) => steps.find((entry) => entry.id === id)!;

  // Which rotation: the one recorded in --state-dir (resume), else from the active slot to the idle one.
  const saved = await store?.load();
  const current = (await services.configVars.get(app))[configVar];
  let record: RotationRecord | undefined = saved && !saved.record.completedAt ? saved.record : undefined;
  if (record !== undefined) checkRecordMatches(record, settings, store!.dir);
  let from: Slot;
  let to: Slot;
  if (record !== undefined) {
    from = slots[record.from.slot];
    to = slots[record.to.slot];
    if (current !== from.authorization && current !== to.authorization) throw configVarChanged(settings, current, record, store!.dir);
  } else {
    const active = slotNamed(slots, current);
    if (active === undefined) throw noActiveSlot(settings, current);
    from = active;
    to = otherSlot(slots, active);
  }
  const resumed = record !== undefined;
  const report: RotationReport = {
    app,
    configVar,
    mode: slots.singleSlot ? 'single-slot' : 'blue-green',
    plan: settings.plan,
    resumed,
    from: slotJson(from),
    to: slotJson(to),
    certificateFingerprint: record ? certificateFingerprint(record.certificatePem) : null,
    steps,
    complete: false,
    inEffect: [],
    rollback: [],
    ...(slots.singleSlot ? { downtime: singleSlotDowntime(settings) } : {}),
  };
  const done = (id: StepId) => record?.steps[id] !== undefined;
  const save = async (privateKeyPem?: string) => {
    if (store !== undefined && record !== undefined) await store.save(record, privateKeyPem);
  };
  const mark = async (id: StepId, facts?: Record<string, string>) => {
    if (record === undefined) return;
    record.steps[id] = { at: new Date(deps.now()).toISOString(), ...(facts ? { facts } : {}) };
    await save();
  };

  let currentStep: StepId = 'generate-key';
  let showing = false;
  const total = STEP_IDS.length;
  const enter = (id: StepId) => {
    currentStep = id;
  };
  const begin = (id: StepId, text: string, wait?: { deadline: number }) => {
    currentStep = id;
    showing = true;
    deps.progress.start(`Step ${step(id).number}/${total}: ${text}`, wait);
  };
  const end = (result: string) => {
    showing = false;
    deps.progress.stop(result);
  };

  let privateKeyPem: string | undefined;
  let certificatePem: string | undefined;
  try {
    // 1. The key pair.
    if (record !== undefined) {
      if (saved!.privateKeyPem === undefined) throw keyMissing(store!.dir);
      privateKeyPem = saved!.privateKeyPem;
      certificatePem = record.certificatePem;
      deps.secrets?.add(privateKeyPem);
      step('generate-key').status = 'already-done';
      step('generate-key').note = `resumed from ${store!.dir}`;
    } else if (settings.plan) {
      step('generate-key').status = 'planned';
      step('generate-key').changes.push(
        `generate a ${settings.key.bits}-bit RSA key and a self-signed certificate (${settings.key.subject}, valid ${settings.key.days} days), ${store ? `written to ${store.dir} (mode 0600) for a resume` : 'kept in memory only (no --state-dir)'}`,
      );
    } else {
      begin('generate-key', `generating a ${settings.key.bits}-bit RSA key pair`);
      const material = await generateKeyMaterial({ bits: settings.key.bits, days: settings.key.days, subject: settings.key.subject, nowMs: deps.now() });
      privateKeyPem = material.privateKeyPem;
      certificatePem = material.certificatePem;
      deps.secrets?.add(privateKeyPem);
      record = {
        version: 1,
        app,
        configVar,
        from: { slot: from.id, authorization: from.authorization, eca: from.eca },
        to: { slot: to.id, authorization: to.authorization, eca: to.eca },
        startedAt: new Date(deps.now()).toISOString(),
        certificatePem,
        steps: {},
      };
      record.steps['generate-key'] = { at: record.startedAt };
      // On disk before anything remote changes: a crash from here on can resume with this key.
      await save(privateKeyPem);
      report.certificateFingerprint = material.fingerprint;
      step('generate-key').status = 'done';
      step('generate-key').changes.push(`new key pair, certificate ${material.fingerprint}${store ? `, saved in ${store.dir} (0600)` : ''}`);
      end('done');
    }

    // 2. The certificate, deployed to the idle slot's ECA (validate-only first), consumer key kept.
    enter('deploy-certificate');
    const before = await services.metadata.readSettings(to.eca);
    const clientId = before.consumerKey;
    const deployStep = step('deploy-certificate');
    if (certificatePem !== undefined && sameCertificate(before.certificate, certificatePem)) {
      deployStep.status = 'already-done';
      deployStep.note = `ECA ${to.eca} holds the new certificate`;
    } else if (settings.plan) {
      deployStep.status = 'planned';
      deployStep.changes.push(`validate, then deploy the new certificate to ECA ${to.eca} (consumer key ${clientId} kept)${slots.singleSlot ? `; the authorization ${from.authorization} stops working once this propagates` : ''}`);
    } else {
      if (record!.previousCertificatePem === undefined && before.certificate !== undefined) {
        record!.previousCertificatePem = before.certificate;
        await save();
      }
      const deadline = deps.now() + settings.deployTimeoutMs;
      for (const checkOnly of [true, false]) {
        const what = checkOnly ? `validating the certificate deploy to ECA ${to.eca}` : `deploying the certificate to ECA ${to.eca}`;
        begin('deploy-certificate', what, { deadline });
        await services.metadata.deployCertificate({
          settings: before,
          certificatePem: certificatePem!,
          checkOnly,
          deadline,
          onStatus: (status) => deps.progress.update(`Step 2/${total}: ${what}: ${status.status}`, { deadline }),
        });
        end(checkOnly ? 'valid' : 'deployed');
      }
      const after = await services.metadata.readSettings(to.eca);
      if (after.consumerKey !== clientId) {
        throw new CheckFailedError('ERR_ROTATE_CONSUMER_KEY_CHANGED', `The consumer key of ECA ${to.eca} changed with the deploy (was ${clientId}, now ${after.consumerKey}).`, {
          hint: `Set SF_CLIENT_ID (and the app's authorization) to the new consumer key, or check shouldRotateConsumerKey in the ECA's global OAuth settings, then run the command again.`,
          details: { eca: to.eca, before: clientId, after: after.consumerKey },
        });
      }
      if (!sameCertificate(after.certificate, certificatePem)) {
        throw new CheckFailedError('ERR_ROTATE_DEPLOY_NOT_APPLIED', `The deploy to ECA ${to.eca} succeeded but the settings read back do not hold the new certificate.`, {
          hint: 'Someone else may have deployed the ECA at the same time: run the command again (it deploys again).',
          details: { eca: to.eca },
        });
      }
      deployStep.status = 'done';
      deployStep.changes.push(`ECA ${to.eca} holds the new certificate (consumer key ${clientId} unchanged)`);
      await mark('deploy-certificate');
    }

    // 3. Propagation: the JWT bearer login with the new key, until the login servers accept it.
    enter('wait-for-login');
    const loginStep = step('wait-for-login');
    if (settings.plan) {
      loginStep.status = 'planned';
      loginStep.changes.push(`nothing changes: poll the JWT bearer login of ${settings.username} at ${settings.loginUrl.origin} with the new key every ${describeDuration(settings.pollIntervalMs)}, for at most ${describeDuration(settings.propagationTimeoutMs)}`);
    } else {
      const privateKey = createPrivateKey(privateKeyPem!);
      const deadline = deps.now() + settings.propagationTimeoutMs;
      begin('wait-for-login', `waiting until Salesforce accepts the new key for ${settings.username} (consumer key ${clientId})`, { deadline });
      let attempts = 0;
      for (;;) {
        attempts += 1;
        const probe = await services.login.probe({ loginUrl: settings.loginUrl, audience: settings.audience, clientId, username: settings.username, privateKey });
        if (probe.accepted) {
          end(`accepted after ${attempts} attempt${attempts === 1 ? '' : 's'}`);
          loginStep.status = done('wait-for-login') && attempts === 1 ? 'already-done' : 'done';
          loginStep.note = `accepted for org ${probe.orgId} after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
          break;
        }
        if (deps.now() + settings.pollIntervalMs > deadline) {
          end('timed out');
          throw new TimeoutError(
            'ERR_ROTATE_PROPAGATION_TIMEOUT',
            `Salesforce still refuses the new key for ${settings.username} with consumer key ${clientId} after ${describeDuration(settings.propagationTimeoutMs)} (${attempts} attempts; last answer: ${probe.error.message.replace(/\.$/, '')}).`,
            {
              hint: `Certificate changes can take about 10 minutes to reach the login servers: run the command again later (with --state-dir it resumes with the same key), or give a longer --propagation-timeout.`,
              details: { attempts, lastError: probe.error.code ?? null },
            },
          );
        }
        deps.progress.update(`Step 3/${total}: waiting until Salesforce accepts the new key (attempt ${attempts}: ${probe.error.code ?? 'refused'})`, { deadline });
        await deps.sleep(settings.pollIntervalMs, deps.signal);
      }
      await mark('wait-for-login');
    }

    // 4. The idle slot's AppLink authorization, made with the new key.
    enter('create-authorization');
    const createStep = step('create-authorization');
    const existing = await services.authorizations.find(to.authorization);
    const recordedId = record?.steps['create-authorization']?.facts?.id;
    if (existing !== undefined && recordedId !== undefined && String(existing.id) === recordedId && existing.status === 'authorized') {
      createStep.status = 'already-done';
      createStep.note = `${to.authorization} is authorized (id ${recordedId})`;
    } else if (settings.plan) {
      createStep.status = 'planned';
      if (existing !== undefined) createStep.changes.push(`remove the idle authorization ${to.authorization} (made with an earlier key; the app reads ${current})`);
      createStep.changes.push(`create the authorization ${to.authorization} (consumer key ${clientId}, user ${settings.username}) and wait until it is authorized`);
    } else {
      begin('create-authorization', `creating the authorization ${to.authorization}`);
      // Never touch what the app reads: the idle name must not be the config var's value.
      const now = (await services.configVars.get(app))[configVar];
      if (now === to.authorization) throw configVarChanged(settings, now, record!, store?.dir);
      if (existing !== undefined) {
        await services.authorizations.remove(to.authorization);
        createStep.changes.push(`removed the idle authorization ${to.authorization} (made with an earlier key; the app did not read it)`);
      }
      const created = await services.authorizations.create(
        {
          type: 'salesforce',
          developerName: to.authorization,
          alias: defaultAlias(to.authorization),
          clientId,
          username: settings.username,
          ...(settings.appLinkLoginUrl ? { loginUrl: settings.appLinkLoginUrl } : {}),
          privateKeyPem: privateKeyPem!,
        },
        { timeoutMs: settings.authorizationTimeoutMs },
      );
      end('authorized');
      createStep.status = 'done';
      createStep.changes.push(`created the authorization ${to.authorization} (id ${created.id}), authorized`);
      await mark('create-authorization', { id: String(created.id) });
    }

    // 5. The switch: the config var the app reads (a release restarts the app), then the user's check.
    enter('switch-app');
    const switchStep = step('switch-app');
    const value = (await services.configVars.get(app))[configVar];
    if (value === to.authorization) {
      switchStep.status = 'already-done';
      switchStep.note = `${configVar}=${to.authorization}`;
    } else if (settings.plan) {
      switchStep.status = 'planned';
      switchStep.changes.push(`set ${configVar}=${to.authorization} on app ${app} (now ${from.authorization}): a new release restarts the app`);
      if (settings.checkCommand) switchStep.changes.push(`then run the check: ${settings.checkCommand.join(' ')}`);
    } else {
      begin('switch-app', `setting ${configVar}=${to.authorization} on app ${app}`);
      const after = await services.configVars.set(app, { [configVar]: to.authorization });
      if (after[configVar] !== to.authorization) {
        throw new CheckFailedError('ERR_ROTATE_SWITCH_NOT_APPLIED', `The Platform API accepted ${configVar}=${to.authorization} for app ${app} but answers ${configVar}=${after[configVar] ?? '(unset)'}.`, {
          hint: `Check the app's config vars (heroku config -a ${app}) and run the command again.`,
        });
      }
      end('switched');
      switchStep.status = 'done';
      switchStep.changes.push(`set ${configVar}=${to.authorization} on app ${app} (was ${from.authorization}; a new release)`);
      await mark('switch-app');
    }
    if (!settings.plan && settings.checkCommand !== undefined) {
      begin('switch-app', `running the check: ${settings.checkCommand.join(' ')}`);
      const [file, ...args] = settings.checkCommand;
      const result = await deps.run(file!, args, { cwd: deps.cwd, env: { ...deps.env, [configVar]: to.authorization } });
      if (result.exitCode !== 0) {
        end('failed');
        const last = `${result.stderr}\n${result.stdout}`.trim().split('\n').at(-1) ?? '';
        throw new CheckFailedError('ERR_ROTATE_CHECK_FAILED', `The check command (${settings.checkCommand.join(' ')}) exited ${result.exitCode} after the switch${last ? `: ${last.slice(0, 200)}` : ''}.`, {
          hint: `Switch the app back if it is broken: heroku config:set ${configVar}=${from.authorization} -a ${app}; then fix the cause and run the command again.`,
          details: { exitCode: result.exitCode },
        });
      }
      end('passed');
      switchStep.note = `${switchStep.note ? `${switchStep.note}; ` : ''}check passed`;
    }

    // 6. The CI secret: the CircleCI context's variables, checked by updated_at.
    enter('update-ci');
    const ciStep = step('update-ci');
    const ci = settings.circleci;
    if (ci === undefined || services.circleci === undefined) {
      ciStep.status = 'skipped';
      ciStep.note = 'no --circleci-context: update the CI secret yourself';
    } else if (done('update-ci')) {
      ciStep.status = 'already-done';
      ciStep.note = `context ${ci.context} updated at ${record!.steps['update-ci']!.facts?.updatedAt ?? record!.steps['update-ci']!.at}`;
    } else {
      const context = await services.circleci.findContext(ci.ownerSlug, ci.context);
      if (context === undefined) {
        throw new InputError('ERR_ROTATE_CONTEXT_NOT_FOUND', `No CircleCI context named ${ci.context} under ${ci.ownerSlug}.`, {
          hint: `Check --circleci-context and --circleci-owner-slug (the organization's slug, such as gh/acme), and that the CircleCI token can read that organization's contexts.`,
          details: { context: ci.context, ownerSlug: ci.ownerSlug },
        });
      }
      const variables = [ci.keyVariable, ...(ci.clientIdVariable ? [ci.clientIdVariable] : []), ...(ci.certificateVariable ? [ci.certificateVariable] : [])];
      if (settings.plan) {
        ciStep.status = 'planned';
        ciStep.changes.push(`set ${ci.keyVariable} (the new private key) in CircleCI context ${ci.context} (${context.id})`);
        if (ci.clientIdVariable) ciStep.changes.push(`set ${ci.clientIdVariable}=${clientId} in CircleCI context ${ci.context}`);
        if (ci.certificateVariable) ciStep.changes.push(`set ${ci.certificateVariable} (the new certificate) in CircleCI context ${ci.context}`);
      } else {
        begin('update-ci', `setting ${variables.join(' and ')} in CircleCI context ${ci.context}`);
        const startedAt = deps.now();
        const facts: Record<string, string> = {};
        const values = [[ci.keyVariable, privateKeyPem!], ...(ci.clientIdVariable ? [[ci.clientIdVariable, clientId]] : []), ...(ci.certificateVariable ? [[ci.certificateVariable, certificatePem!]] : [])] as Array<[string, string]>;
        for (const [name, value] of values) {
          const answer = await services.circleci.setVariable(context.id, name, value);
          const updated = Date.parse(answer.updatedAt);
          if (!Number.isFinite(updated) || updated < startedAt - CLOCK_SKEW_MS) {
            throw new CheckFailedError('ERR_ROTATE_CI_NOT_UPDATED', `CircleCI answered updated_at ${answer.updatedAt || '(none)'} for ${name} in context ${ci.context}, older than this run: the value may not have been written.`, {
              hint: `Check the context's variables in CircleCI (Organization Settings > Contexts > ${ci.context}) and run the command again.`,
              details: { variable: name, updatedAt: answer.updatedAt },
            });
          }
          facts.updatedAt = answer.updatedAt;
          const what = name === ci.keyVariable ? ' (the new private key)' : name === ci.certificateVariable ? ' (the new certificate)' : `=${value}`;
          ciStep.changes.push(`set ${name}${what} in CircleCI context ${ci.context} (updated_at ${answer.updatedAt})`);
        }
        end('updated');
        ciStep.status = 'done';
        await mark('update-ci', facts);
      }
    }

    // 7. The old authorization, once the app has switched and the grace period is over.
    enter('remove-old-authorization');
    const removeStep = step('remove-old-authorization');
    if (settings.keepOld) {
      removeStep.status = 'skipped';
      removeStep.note = `--keep-old: remove it later with applink-jwt remove ${from.authorization} -a ${app} --yes`;
    } else if (settings.plan) {
      removeStep.status = 'planned';
      removeStep.changes.push(`after ${describeDuration(settings.graceMs)}, remove the authorization ${from.authorization} (the previous key's)`);
    } else {
      const reads = (await services.configVars.get(app))[configVar];
      if (reads !== to.authorization) throw configVarChanged(settings, reads, record!, store?.dir);
      const old = await services.authorizations.find(from.authorization);
      if (old === undefined) {
        removeStep.status = 'already-done';
        removeStep.note = `${from.authorization} does not exist`;
      } else {
        const switchedAt = Date.parse(record?.steps['switch-app']?.at ?? '') || deps.now();
        const until = switchedAt + settings.graceMs;
        if (until > deps.now()) {
          begin('remove-old-authorization', `waiting ${describeDuration(until - deps.now())} (grace period) before removing ${from.authorization}`, { deadline: until });
          await deps.sleep(until - deps.now(), deps.signal);
          end('over');
        }
        begin('remove-old-authorization', `removing the authorization ${from.authorization}`);
        await services.authorizations.remove(from.authorization);
        end('removed');
        removeStep.status = 'done';
        removeStep.changes.push(`removed the authorization ${from.authorization}`);
      }
      await mark('remove-old-authorization');
    }

    if (!settings.plan) {
      report.complete = true;
      if (record !== undefined && store !== undefined) {
        record.completedAt = new Date(deps.now()).toISOString();
        await save();
        await store.forgetKey();
      }
    }
    report.inEffect = inEffect(report, settings);
    report.rollback = settings.plan ? [] : rollback(report, settings, store?.dir);
    return report;
  } catch (error) {
    if (showing) end('failed');
    const failed = step(currentStep);
    // A step whose change is in effect (the switch, then its check failed) stays done: the report says so.
    if (failed.status === 'not-reached') failed.status = 'failed';
    else failed.note = `${failed.note ? `${failed.note}; ` : ''}then failed`;
    report.inEffect = inEffect(report, settings);
    report.rollback = rollback(report, settings, store?.dir);
    throw stopped(error, failed, report, deps.signal);
  }
}

/** What is in effect outside this machine, from the steps done now or before. */
function inEffect(report: RotationReport, settings: RotationSettings): string[] {
  const effective = (id: StepId) => ['done', 'already-done'].includes(report.steps.find((entry) => entry.id === id)!.status);
  const lines: string[] = [];
  if (effective('deploy-certificate')) lines.push(`ECA ${report.to.eca} holds the new certificate`);
  if (effective('create-authorization')) lines.push(`authorization ${report.to.authorization} exists, made with the new key`);
  if (effective('switch-app')) lines.push(`app ${settings.app} reads ${settings.configVar}=${report.to.authorization}`);
  if (effective('update-ci') && settings.circleci) lines.push(`CircleCI context ${settings.circleci.context} holds the new key in ${settings.circleci.keyVariable}`);
  if (effective('remove-old-authorization')) lines.push(`authorization ${report.from.authorization} is removed`);
  return lines;
}

/** How to undo what is in effect, the latest change first. */
function rollback(report: RotationReport, settings: RotationSettings, stateDir: string | undefined): string[] {
  const effective = (id: StepId) => ['done', 'already-done'].includes(report.steps.find((entry) => entry.id === id)!.status);
  const resume = stateDir ? `run the same command again: it resumes from ${stateDir}` : 'run the same command again: it starts over with a new key (add --state-dir to resume instead)';
  const lines: string[] = [];
  if (effective('remove-old-authorization')) {
    lines.push(`the old authorization ${report.from.authorization} is gone: going back to it means another rotation`);
    return lines;
  }
  if (effective('update-ci') && settings.circleci) {
    lines.push(`put the previous key back into ${settings.circleci.keyVariable}${settings.circleci.clientIdVariable ? ` and ${settings.circleci.clientIdVariable}` : ''} of CircleCI context ${settings.circleci.context} if you switch back (CircleCI never returns the old value)`);
  }
  if (effective('switch-app')) {
    lines.push(`switch the app back: heroku config:set ${settings.configVar}=${report.from.authorization} -a ${settings.app} (${report.from.authorization} is untouched until step 7)`);
    return lines;
  }
  if (report.mode === 'single-slot' && effective('deploy-certificate')) {
    lines.push(`the only ECA ${report.to.eca} holds the new certificate, so ${report.from.authorization} stops working once it propagates: ${resume} to finish the switch (the quickest way back to a working app)`);
    return lines;
  }
  if (effective('create-authorization') || effective('deploy-certificate')) {
    lines.push(`nothing to roll back: the app still reads ${report.from.authorization}, and only the idle slot changed; ${resume}`);
    if (effective('create-authorization')) lines.push(`to abandon the rotation: applink-jwt remove ${report.to.authorization} -a ${settings.app} --yes`);
  }
  return lines;
}

/** The error a run stops with: the step's own error, with the step, what is in effect and the way back. */
function stopped(error: unknown, failed: StepReport, report: RotationReport, signal: AbortSignal): AppError {
  const statement = `Stopped at step ${failed.number} (${failed.title.charAt(0).toLowerCase()}${failed.title.slice(1)}). ${report.inEffect.length > 0 ? `In effect: ${report.inEffect.join('; ')}.` : 'Nothing was changed outside this machine.'}${report.rollback.length > 0 ? ` Roll back: ${report.rollback.join('; ')}.` : ''}`;
  const details = (base?: Record<string, unknown>) => ({ ...base, failedStep: failed.id, rotation: report });
  if (signal.aborted || error instanceof InterruptedError) {
    const name = signal.reason === 'SIGTERM' || (error instanceof InterruptedError && error.code === 'ERR_TERMINATED') ? 'SIGTERM' : 'SIGINT';
    return new InterruptedError(name, `Interrupted (${name}). ${statement}`, { hint: 'Run the same command again to continue (each step checks what is in effect first).', details: details(), cause: error });
  }
  if (!(error instanceof AppError)) {
    const copy = new AppError('ERR_INTERNAL', `Unexpected error: ${error instanceof Error ? error.message : String(error)}. ${statement}`, 1, {
      hint: 'Run again with DEBUG=applink-jwt for the stack trace, and report it if it persists.',
      details: details(),
      cause: error,
    });
    return copy;
  }
  const copy = new AppError(error.code, `${error.message} ${statement}`, error.exitCode, { hint: error.hint, details: details(error.details), cause: error });
  copy.name = error.name;
  return copy;
}

function checkRecordMatches(record: RotationRecord, settings: RotationSettings, dir: string): void {
  const slots = settings.slots;
  const mismatch =
    record.app !== settings.app
      ? `app ${record.app}`
      : record.configVar !== settings.configVar
        ? `config var ${record.configVar}`
        : slots[record.from.slot].authorization !== record.from.authorization || slots[record.to.slot].authorization !== record.to.authorization
          ? `authorizations ${record.from.authorization} -> ${record.to.authorization}`
          : slots[record.to.slot].eca !== record.to.eca
            ? `ECA ${record.to.eca}`
            : undefined;
  if (mismatch !== undefined) {
    throw new InputError('ERR_ROTATE_STATE', `${dir} records an unfinished rotation of ${mismatch}, which is not what this command line names.`, {
      hint: `Use a --state-dir of its own for each app and slot pair, or finish that rotation with its own command line.`,
    });
  }
}

function keyMissing(dir: string): InputError {
  return new InputError('ERR_ROTATE_STATE', `${dir} records an unfinished rotation but its key file is missing; it cannot be resumed.`, {
    hint: `Move ${dir} away and run the command again: the rotation starts over with a new key (the app still reads the slot it read before, or the one the config var names).`,
  });
}

function noActiveSlot(settings: RotationSettings, value: string | undefined): InputError {
  const { a, b } = settings.slots;
  return new InputError(
    'ERR_ROTATE_NO_ACTIVE_SLOT',
    `Config var ${settings.configVar} of app ${settings.app} is ${value === undefined ? 'not set' : `"${value.slice(0, 60)}"`}, which names neither slot (${a.authorization} or ${b.authorization}); which slot is active is read from it.`,
    {
      hint: `Point it at the authorization the app uses now, e.g. heroku config:set ${settings.configVar}=${a.authorization} -a ${settings.app} (see docs/rotation.md, one-time setup), or pass --config-var / --base-name to match the app.`,
      details: { configVar: settings.configVar, value: value ?? null },
    },
  );
}

function configVarChanged(settings: RotationSettings, value: string | undefined, record: RotationRecord, dir: string | undefined): InputError {
  return new InputError(
    'ERR_ROTATE_CONFIG_VAR_CHANGED',
    `Config var ${settings.configVar} of app ${settings.app} is ${value === undefined ? 'not set' : `"${value.slice(0, 60)}"`} while this rotation moves it from ${record.from.authorization} to ${record.to.authorization}: someone else changed it, so the rotation stops before touching what the app reads.`,
    {
      hint: `Set it back (heroku config:set ${settings.configVar}=${record.from.authorization} -a ${settings.app}) and run again${dir ? `, or move ${dir} away to start a new rotation from the slot it names` : ''}.`,
      details: { configVar: settings.configVar, value: value ?? null },
    },
  );
}

/** The downtime of a single-slot rotation, in words. */
export function singleSlotDowntime(settings: RotationSettings): string {
  return `with one ECA, the current authorization stops working once the new certificate reaches the login servers (up to about 10 minutes after the deploy) and the app fails until the switch to the new authorization; expect several minutes (at most the --propagation-timeout of ${describeDuration(settings.propagationTimeoutMs)} plus the authorization time).`;
}

export { formatReport };
