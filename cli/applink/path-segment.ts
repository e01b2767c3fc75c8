/** Path segments built from input or from a server's answer, made safe to put in a URL. */
import { InputError } from '../errors.js';

/**
 * A path segment: `:` and `@` stay readable (aliases such as `applink:my_org`), the rest is escaped.
 * An empty value, `.` and `..` would change the path (`info ..` would ask for the add-on itself) and
 * are refused, whether they came from the command line or from a server's answer.
 */
export function pathSegment(value: string, what = 'The name'): string {
  if (!isSafeSegment(value)) {
    throw new InputError('ERR_PATH_SEGMENT', `${what} "${value}" cannot be used in a URL path: it is empty or a dot segment, which would address another resource. Nothing was sent.`, {
      hint: 'Give the developer name, alias or id of the authorization as applink-jwt list shows it.',
    });
  }
  return encodeURIComponent(value).replace(/%3A/gi, ':').replace(/%40/g, '@');
}

/** Whether `value` stays one segment once escaped: not empty, `.` or `..`. */
export function isSafeSegment(value: string): boolean {
  return value !== '' && value !== '.' && value !== '..';
}
