/**
 * `applink-jwt sandbox --fault <route>=<spec>`: fault injection from the command line, parsed
 * into the rules of {@link FaultInjector}. The spec grammar:
 *
 * - `<status>[@after][x<count>]`: answer that HTTP status (e.g. `503`, `503x2`, `500@after`:
 *   the request took effect, the answer is lost);
 * - `429[:<seconds>][x<count>]`: answer 429 with `Retry-After` (default 1 s);
 * - `reset[@before][x<count>]`: reset the connection (default after the request took effect,
 *   mid-response; `@before`: before it reached the service);
 * - `latency:<ms>[x<count>]`: add that delay (default: to every request of the route);
 * - `random:<probability>`: seeded random failures (statuses 500, 502, 503, 429 and resets) on
 *   the route; `--seed` picks the sequence.
 *
 * Counts default to 1 (latency: every request). `<route>` is a route name (`applink.create`), a
 * prefix (`applink.*`) or `*` (every service route).
 */
import { InputError } from '../errors.js';
import type { FaultRule } from './faults.js';

export interface ParsedFaults {
  rules: FaultRule[];
  /** Routes with random faults, and their probability (one probability for all). */
  random?: { routes: string[]; probability: number };
}

const HINT =
  'Write --fault <route>=<spec>: a status (503, 503x2, 500@after), 429[:<seconds>], reset[@before], latency:<ms> or random:<probability>; routes as `applink-jwt sandbox --help` lists them, e.g. --fault salesforce.token=503x2.';

function faultError(raw: string, why: string): InputError {
  return new InputError('ERR_SANDBOX_FAULT', `--fault ${raw}: ${why}.`, { hint: HINT });
}

/** `x<count>` at the end of a spec: the count and the rest. */
function splitCount(raw: string, spec: string): { body: string; count?: number } {
  const match = /^(.*)x(\d+)$/.exec(spec);
  if (!match) return { body: spec };
  const count = Number(match[2]);
  if (count < 1) throw faultError(raw, 'the count (x<N>) must be 1 or more');
  return { body: match[1]!, count };
}

/** Parses one `--fault` value. `knownRoutes` are the sandbox's route names, to refuse a typo. */
export function parseFault(raw: string, knownRoutes: readonly string[]): { rule: FaultRule } | { random: { route: string; probability: number } } {
  const equals = raw.indexOf('=');
  if (equals <= 0) throw faultError(raw, 'expected <route>=<spec>');
  const route = raw.slice(0, equals).trim();
  const spec = raw.slice(equals + 1).trim().toLowerCase();
  const matches = (name: string) => route === '*' || name === route || (route.endsWith('*') && name.startsWith(route.slice(0, -1)));
  if (!knownRoutes.some(matches)) throw faultError(raw, `no sandbox route is named "${route}" (routes: ${knownRoutes.join(', ')})`);

  const random = /^random:(0(?:\.\d+)?|1(?:\.0+)?)$/.exec(spec);
  if (random) return { random: { route, probability: Number(random[1]) } };
  if (spec.startsWith('random')) throw faultError(raw, 'random needs a probability between 0 and 1, e.g. random:0.3');

  const { body, count } = splitCount(raw, spec);
  const latency = /^latency:(\d+)(?:ms)?$/.exec(body);
  if (latency) return { rule: { route, kind: 'latency', latencyMs: Number(latency[1]), count: count ?? Infinity } };
  const rateLimit = /^429(?::(\d+))?$/.exec(body);
  if (rateLimit) return { rule: { route, kind: 'rate-limit', retryAfterSeconds: Number(rateLimit[1] ?? 1), count: count ?? 1 } };
  const reset = /^reset(@before|@after)?$/.exec(body);
  if (reset) return { rule: { route, kind: 'reset', phase: reset[1] === '@before' ? 'before' : 'after', count: count ?? 1 } };
  const status = /^(\d{3})(@before|@after)?$/.exec(body);
  if (status) {
    const code = Number(status[1]);
    if (code < 400 || code > 599) throw faultError(raw, `${code} is not an error status (400-599)`);
    return { rule: { route, kind: 'status', status: code, phase: status[2] === '@after' ? 'after' : 'before', count: count ?? 1 } };
  }
  throw faultError(raw, `"${raw.slice(equals + 1)}" is not a fault spec`);
}

/** Parses every `--fault` value; random specs must share one probability. */
export function parseFaults(values: readonly string[], knownRoutes: readonly string[]): ParsedFaults {
  const parsed: ParsedFaults = { rules: [] };
  for (const raw of values) {
    const one = parseFault(raw, knownRoutes);
    if ('rule' in one) {
      parsed.rules.push(one.rule);
      continue;
    }
    if (parsed.random && parsed.random.probability !== one.random.probability) {
      throw faultError(raw, `random faults take one probability for all routes (${parsed.random.probability} was given before)`);
    }
    parsed.random = { routes: [...(parsed.random?.routes ?? []), one.random.route], probability: one.random.probability };
  }
  return parsed;
}
