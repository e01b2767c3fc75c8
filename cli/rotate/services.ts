/**
 * The production services of a rotation: the clients of cli/salesforce/, cli/applink/, cli/heroku/
 * and cli/circleci/ behind the ports of cli/rotate/ports.ts, built from the checked inputs.
 */
import { resolveAddon, type AppLinkTarget, type ResolveAddonOptions } from '../applink/platform-api.js';
import type { Deps } from '../deps.js';
import { createEcaMetadataClient } from '../salesforce/metadata-api.js';
import { createAuthorizationsPort } from './authorizations.js';
import type { CircleCiClientInput } from './circleci-input.js';
import { createLoginProbe } from './login-probe.js';
import type { AdminCredential, CircleCiContextsPort, RotateServices } from './ports.js';

export interface ServiceInputs {
  /** The Platform API, its token and the app (from `planTarget`). */
  platform: ResolveAddonOptions;
  admin: AdminCredential;
  circleci?: CircleCiClientInput;
  allowLoginHosts: string[];
}

export function createServices(inputs: ServiceInputs, deps: Deps): RotateServices {
  let target: Promise<AppLinkTarget> | undefined;
  const addon = () => (target ??= resolveAddon(inputs.platform, deps));
  return {
    login: createLoginProbe({ ...deps, allowLoginHosts: inputs.allowLoginHosts }),
    authorizations: createAuthorizationsPort(addon, deps),
    metadata: createEcaMetadataClient({ admin: inputs.admin }, deps),
    configVars: pending('the Heroku config vars client'),
    ...(inputs.circleci ? { circleci: pending<CircleCiContextsPort>('the CircleCI contexts client') } : {}),
  };
}

/** A port whose client has not landed yet: every call fails saying so. */
function pending<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: () => async () => {
      throw new Error(`${what} is not part of this build yet`);
    },
  });
}
