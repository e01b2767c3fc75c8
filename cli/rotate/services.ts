/**
 * The production services of a rotation: the clients of cli/salesforce/, cli/applink/, cli/heroku/
 * and cli/circleci/ behind the ports of cli/rotate/ports.ts, built from the checked inputs.
 */
import { resolveAddon, type AppLinkTarget, type ResolveAddonOptions } from '../applink/platform-api.js';
import { createContextsClient } from '../circleci/contexts.js';
import type { Deps } from '../deps.js';
import { createConfigVarsClient } from '../heroku/config-vars.js';
import { createEcaMetadataClient, DEFAULT_DEPLOY_POLL_MS } from '../salesforce/metadata-api.js';
import { createAuthorizationsPort } from './authorizations.js';
import type { CircleCiClientInput } from './circleci-input.js';
import { createLoginProbe } from './login-probe.js';
import type { AdminCredential, RotateServices } from './ports.js';

export interface ServiceInputs {
  /** The Platform API, its token and the app (from `planTarget`). */
  platform: ResolveAddonOptions;
  admin: AdminCredential;
  circleci?: CircleCiClientInput;
  allowLoginHosts: string[];
  /** `--poll-interval`: deploy status polls are at most this far apart too (default 2 s apart). */
  pollIntervalMs: number;
}

export function createServices(inputs: ServiceInputs, deps: Deps): RotateServices {
  let target: Promise<AppLinkTarget> | undefined;
  const addon = () => (target ??= resolveAddon(inputs.platform, deps));
  return {
    login: createLoginProbe({ ...deps, allowLoginHosts: inputs.allowLoginHosts }),
    authorizations: createAuthorizationsPort(addon, deps),
    metadata: createEcaMetadataClient({ admin: inputs.admin, pollIntervalMs: Math.min(inputs.pollIntervalMs, DEFAULT_DEPLOY_POLL_MS) }, deps),
    configVars: createConfigVarsClient(inputs.platform, deps),
    ...(inputs.circleci ? { circleci: createContextsClient(inputs.circleci, deps) } : {}),
  };
}
