/**
 * The AppLink side of the rotation over the existing client: create (the POST made safe to retry,
 * then the poll until `authorized`), read and remove one authorization of the app's add-on. The
 * DELETE names the id just read, as `remove` does, so it never removes what replaced the name.
 */
import { deleteAuthorization, findAuthorization } from '../applink/applink-api.js';
import { addJwtAuthorization, type AddJwtDeps } from '../applink/jwt-authorization.js';
import type { AppLinkTarget } from '../applink/platform-api.js';
import { salesforceHint } from '../commands/authorize.js';
import type { AuthorizationsPort } from './ports.js';

export function createAuthorizationsPort(target: () => Promise<AppLinkTarget>, deps: AddJwtDeps): AuthorizationsPort {
  return {
    async find(developerName) {
      return findAuthorization(await target(), developerName, deps);
    },
    async create(request, options) {
      const result = await addJwtAuthorization({ target: await target(), request, replace: false, ifExists: 'fail', timeoutMs: options.timeoutMs, salesforceHint }, deps);
      return result.authorization;
    },
    async remove(developerName) {
      const resolved = await target();
      const found = await findAuthorization(resolved, developerName, deps);
      if (found === undefined) return 'absent';
      return (await deleteAuthorization(resolved, String(found.id), deps)) === 'deleted' ? 'deleted' : 'absent';
    },
  };
}
