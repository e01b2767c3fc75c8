/**
 * The propagation probe of step 3: one JWT bearer exchange with the new key (the preflight's own
 * assertion and token call). A refusal by Salesforce is the normal answer while the certificate
 * propagates, so it is returned, not thrown; a service that cannot be reached still throws.
 */
import { SalesforceError } from '../errors.js';
import { signAssertion } from '../salesforce/assertion.js';
import { exchangeAssertion, type TokenDeps } from '../salesforce/token.js';
import type { LoginProbePort } from './ports.js';

/** Timeout of each probe request. */
export const PROBE_TIMEOUT_MS = 15_000;

export function createLoginProbe(deps: TokenDeps & { allowLoginHosts?: string[] }): LoginProbePort {
  return {
    async probe(request) {
      const assertion = await signAssertion(request.privateKey, { clientId: request.clientId, username: request.username, audience: request.audience }, deps.now());
      deps.secrets?.add(assertion);
      try {
        const token = await exchangeAssertion(
          { loginUrl: request.loginUrl, assertion, timeoutMs: PROBE_TIMEOUT_MS, allowLoginHosts: deps.allowLoginHosts ?? [], username: request.username, audience: request.audience },
          deps,
        );
        deps.secrets?.add(token.accessToken);
        return { accepted: true, orgId: token.orgId, userId: token.userId, instanceUrl: token.instanceUrl };
      } catch (error) {
        if (error instanceof SalesforceError) return { accepted: false, error };
        throw error;
      }
    },
  };
}
