/**
 * Fault injection for the sandbox: per route (a route name, a prefix such as `applink.*`, or `*`
 * for every service route), added latency, N failures with a status, 429 with `Retry-After`, and
 * connection resets; or a seeded random mode. A failure can strike before the handler runs (the
 * request had no effect) or after it (the effect happened, the answer is lost), which is what a
 * client must survive without creating duplicates.
 */

export type FaultKind = 'latency' | 'status' | 'rate-limit' | 'reset';

/** Before the handler runs (no effect), or after it (the effect happened, the answer is lost). */
export type FaultPhase = 'before' | 'after';

export interface FaultRule {
  /** Route name (`applink.create`), prefix with `*` (`applink.*`), or `*` (all but control routes). */
  route: string;
  kind: FaultKind;
  /** For `latency`: milliseconds added before handling. */
  latencyMs?: number;
  /** For `status`: the status to answer (500, 502, 503...). */
  status?: number;
  /** For `rate-limit`: the `Retry-After` value in seconds (default 1). */
  retryAfterSeconds?: number;
  /** For `status` and `reset` (default: `before` for status, `after` for reset). */
  phase?: FaultPhase;
  /** How many requests it strikes (default 1; `Infinity` for all). */
  count?: number;
  /** Also strike the requests the sandbox's AppLink double sends itself (default false). */
  internal?: boolean;
}

export interface RandomFaultOptions {
  seed: number;
  /** Probability that a request gets a failure (status, 429 or reset); default 0.3. */
  probability?: number;
  /** Random latency range added to every matching request; default none. */
  latencyMs?: [number, number];
  /** Statuses to fail with; default [500, 502, 503]. */
  statuses?: number[];
  /** Include 429 with this Retry-After (seconds); default 1. Set `null` to leave 429 out. */
  retryAfterSeconds?: number | null;
  /** Include connection resets; default true. */
  resets?: boolean;
  /** Probability a status or reset strikes after the handler ran; default 0.5. */
  afterProbability?: number;
  /** Route patterns to strike; default ['*']. */
  routes?: string[];
  /** Also strike the sandbox's own requests; default false. */
  internal?: boolean;
}

/** A request held at the door until the test lets it in (deterministic races). */
export interface Gate {
  /** Resolves when a matching request arrived and is being held. */
  arrived: Promise<void>;
  /** Lets the held request (and any later one of the gate) through. */
  release(): void;
}

/** What happens to one request. */
export interface FaultPlan {
  latencyMs: number;
  /** Handled only once this resolves (a {@link Gate}). */
  hold?: Promise<void>;
  before?: { kind: 'status'; status: number } | { kind: 'rate-limit'; retryAfterSeconds: number } | { kind: 'reset' };
  after?: { kind: 'status'; status: number } | { kind: 'reset' };
  /** Kinds applied, for the request log. */
  kinds: FaultKind[];
}

export interface FaultCounts {
  latency: number;
  status: number;
  rateLimit: number;
  reset: number;
  /** Injected failures by status (429 included). */
  byStatus: Record<number, number>;
  /** Every injected failure (status + rate limit + reset; latency not counted). */
  total: number;
}

/** Whether a route name matches a pattern: exact, `prefix.*`, or `*` (never the control routes). */
export function routeMatches(pattern: string, route: string): boolean {
  if (route.startsWith('control.')) return pattern === route;
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return route.startsWith(pattern.slice(0, -1));
  return pattern === route;
}

/** mulberry32: a small seeded PRNG, so a failing random run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The fault injector attached to a sandbox (`sandbox.faults`). */
export class FaultInjector {
  private rules: Array<FaultRule & { remaining: number }> = [];
  private randomMode?: Required<Omit<RandomFaultOptions, 'latencyMs' | 'retryAfterSeconds'>> & { latencyMs?: [number, number]; retryAfterSeconds: number | null; next: () => number };
  readonly counts: FaultCounts = { latency: 0, status: 0, rateLimit: 0, reset: 0, byStatus: {}, total: 0 };

  /** Adds a rule; rules strike in the order added. */
  add(rule: FaultRule): this {
    this.rules.push({ ...rule, remaining: rule.count ?? 1 });
    return this;
  }

  /** Adds `latencyMs` to the next `count` requests of `route` (default: all of them). */
  latency(route: string, latencyMs: number, count = Infinity): this {
    return this.add({ route, kind: 'latency', latencyMs, count });
  }

  /** Answers the next `count` requests of `route` with `status` (an `{id, message}` body). */
  fail(route: string, status: number, count = 1, phase: FaultPhase = 'before'): this {
    return this.add({ route, kind: 'status', status, count, phase });
  }

  /** Answers the next `count` requests of `route` with 429 and `Retry-After: <seconds>`. */
  rateLimit(route: string, retryAfterSeconds = 1, count = 1): this {
    return this.add({ route, kind: 'rate-limit', retryAfterSeconds, count });
  }

  /** Resets the connection of the next `count` requests of `route` (after handling: mid-response). */
  reset(route: string, count = 1, phase: FaultPhase = 'after'): this {
    return this.add({ route, kind: 'reset', count, phase });
  }

  /**
   * Holds the next request of `route` before it is handled until `release()`: the test can make
   * another client act in between (a clean-up racing a replace), without any timing.
   */
  gate(route: string): Gate {
    let release!: () => void;
    let arrived!: () => void;
    const open = new Promise<void>((resolve) => (release = resolve));
    const seen = new Promise<void>((resolve) => (arrived = resolve));
    this.gates.push({ route, open, arrived, used: false });
    return { arrived: seen, release };
  }

  private gates: Array<{ route: string; open: Promise<void>; arrived: () => void; used: boolean }> = [];

  /** Seeded random faults on every matching request, until {@link clear}. */
  random(options: RandomFaultOptions): this {
    this.randomMode = {
      seed: options.seed,
      probability: options.probability ?? 0.3,
      latencyMs: options.latencyMs,
      statuses: options.statuses ?? [500, 502, 503],
      retryAfterSeconds: options.retryAfterSeconds === undefined ? 1 : options.retryAfterSeconds,
      resets: options.resets ?? true,
      afterProbability: options.afterProbability ?? 0.5,
      routes: options.routes ?? ['*'],
      internal: options.internal ?? false,
      next: seededRandom(options.seed),
    };
    return this;
  }

  /** Removes every rule and the random mode (the counters stay). */
  clear(): this {
    this.rules = [];
    this.randomMode = undefined;
    return this;
  }

  /** Rules not yet used up. */
  pending(): FaultRule[] {
    return this.rules.filter((rule) => rule.remaining > 0).map(({ remaining, ...rule }) => ({ ...rule, count: remaining }));
  }

  /** Decides the faults for one request, consuming rule counts and updating the counters. */
  plan(route: string, internal: boolean): FaultPlan {
    const plan: FaultPlan = { latencyMs: 0, kinds: [] };
    const gate = internal ? undefined : this.gates.find((candidate) => !candidate.used && routeMatches(candidate.route, route));
    if (gate) {
      gate.used = true;
      plan.hold = gate.open;
      gate.arrived();
    }
    for (const rule of this.rules) {
      if (rule.remaining <= 0 || !routeMatches(rule.route, route) || (internal && !rule.internal)) continue;
      if (rule.kind === 'latency') {
        plan.latencyMs += rule.latencyMs ?? 0;
        rule.remaining -= 1;
        continue;
      }
      if (plan.before || plan.after) continue;
      rule.remaining -= 1;
      this.place(plan, rule.kind, rule.phase, rule.status, rule.retryAfterSeconds);
    }
    const random = this.randomMode;
    if (random && random.routes.some((pattern) => routeMatches(pattern, route)) && (!internal || random.internal)) {
      if (random.latencyMs) {
        const [min, max] = random.latencyMs;
        plan.latencyMs += Math.round(min + random.next() * (max - min));
      }
      if (!plan.before && !plan.after && random.next() < random.probability) {
        const choices: Array<() => void> = random.statuses.map((status) => () => this.place(plan, 'status', random.next() < random.afterProbability ? 'after' : 'before', status));
        if (random.retryAfterSeconds !== null) choices.push(() => this.place(plan, 'rate-limit', 'before', undefined, random.retryAfterSeconds ?? 1));
        if (random.resets) choices.push(() => this.place(plan, 'reset', random.next() < random.afterProbability ? 'after' : 'before'));
        if (choices.length > 0) choices[Math.floor(random.next() * choices.length)]!();
      }
    }
    if (plan.latencyMs > 0) {
      plan.kinds.unshift('latency');
      this.counts.latency += 1;
    }
    return plan;
  }

  private place(plan: FaultPlan, kind: Exclude<FaultKind, 'latency'>, phase: FaultPhase | undefined, status?: number, retryAfterSeconds?: number): void {
    plan.kinds.push(kind);
    this.counts.total += 1;
    if (kind === 'rate-limit') {
      plan.before = { kind, retryAfterSeconds: retryAfterSeconds ?? 1 };
      this.counts.rateLimit += 1;
      this.counts.byStatus[429] = (this.counts.byStatus[429] ?? 0) + 1;
    } else if (kind === 'status') {
      const code = status ?? 500;
      if ((phase ?? 'before') === 'before') plan.before = { kind, status: code };
      else plan.after = { kind, status: code };
      this.counts.status += 1;
      this.counts.byStatus[code] = (this.counts.byStatus[code] ?? 0) + 1;
    } else {
      if ((phase ?? 'after') === 'before') plan.before = { kind };
      else plan.after = { kind };
      this.counts.reset += 1;
    }
  }
}
