import { describe, expect, it } from '@jest/globals';
import { parseFault, parseFaults } from '../../../cli/sandbox/fault-spec.js';

const ROUTES = ['salesforce.token', 'platform.app', 'platform.sso', 'applink.create', 'applink.list'];

describe('parseFault', () => {
  it.each([
    ['platform.app=503', { route: 'platform.app', kind: 'status', status: 503, phase: 'before', count: 1 }],
    ['platform.app=503x2', { route: 'platform.app', kind: 'status', status: 503, phase: 'before', count: 2 }],
    ['applink.create=500@after', { route: 'applink.create', kind: 'status', status: 500, phase: 'after', count: 1 }],
    ['applink.create=429', { route: 'applink.create', kind: 'rate-limit', retryAfterSeconds: 1, count: 1 }],
    ['applink.*=429:7x3', { route: 'applink.*', kind: 'rate-limit', retryAfterSeconds: 7, count: 3 }],
    ['applink.create=reset', { route: 'applink.create', kind: 'reset', phase: 'after', count: 1 }],
    ['applink.create=reset@before', { route: 'applink.create', kind: 'reset', phase: 'before', count: 1 }],
    ['platform.*=latency:500', { route: 'platform.*', kind: 'latency', latencyMs: 500, count: Infinity }],
    ['*=latency:20msx4', { route: '*', kind: 'latency', latencyMs: 20, count: 4 }],
  ])('%s', (raw, rule) => {
    expect(parseFault(raw, ROUTES)).toEqual({ rule });
  });

  it('reads random:<probability>', () => {
    expect(parseFault('applink.*=random:0.3', ROUTES)).toEqual({ random: { route: 'applink.*', probability: 0.3 } });
  });

  it.each([
    ['platform.app', '--fault platform.app: expected <route>=<spec>.'],
    ['platfrom.app=503', `--fault platfrom.app=503: no sandbox route is named "platfrom.app" (routes: ${ROUTES.join(', ')}).`],
    ['nothing.*=503', `--fault nothing.*=503: no sandbox route is named "nothing.*" (routes: ${ROUTES.join(', ')}).`],
    ['platform.app=200', '--fault platform.app=200: 200 is not an error status (400-599).'],
    ['platform.app=503x0', '--fault platform.app=503x0: the count (x<N>) must be 1 or more.'],
    ['platform.app=random:2', '--fault platform.app=random:2: random needs a probability between 0 and 1, e.g. random:0.3.'],
    ['platform.app=teapot', '--fault platform.app=teapot: "teapot" is not a fault spec.'],
  ])('refuses %s', (raw, message) => {
    expect(() => parseFault(raw, ROUTES)).toThrow(expect.objectContaining({ code: 'ERR_SANDBOX_FAULT', exitCode: 3, message }));
  });
});

describe('parseFaults', () => {
  it('keeps rules in order and gathers random routes under one probability', () => {
    expect(parseFaults(['platform.app=503', 'applink.*=random:0.5', 'salesforce.token=random:0.5'], ROUTES)).toEqual({
      rules: [{ route: 'platform.app', kind: 'status', status: 503, phase: 'before', count: 1 }],
      random: { routes: ['applink.*', 'salesforce.token'], probability: 0.5 },
    });
  });

  it('refuses two probabilities', () => {
    expect(() => parseFaults(['applink.*=random:0.5', 'platform.app=random:0.2'], ROUTES)).toThrow(
      '--fault platform.app=random:0.2: random faults take one probability for all routes (0.5 was given before).',
    );
  });
});
