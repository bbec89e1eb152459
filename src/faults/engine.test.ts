import { describe, expect, it, vi } from 'vitest';
import { FaultEngine } from './engine';
import { Failpoint, parseFailpoint } from './failpoint';

const RPCS = ['Version', 'ListContainers', 'PullImage', 'CreateContainer', 'RunPodSandbox', 'StopContainer'];
const pod = { namespace: 'ns', name: 'web', uid: 'u1', annotations: {} };

describe('FaultEngine', () => {
  it('is inactive, and answers nothing, without rules', () => {
    const e = new FaultEngine(RPCS);
    expect(e.active).toBe(false);
    expect(e.evaluate({ method: 'Version' })).toBeUndefined();
  });

  it('counts matching calls: after, every, first', () => {
    const e = new FaultEngine(RPCS);
    e.add({ rpcs: ['Version'], after: 2, every: 2, first: 2, action: { type: 'error', code: 'UNAVAILABLE' } }, 'api');
    const hits = Array.from({ length: 12 }, () => e.evaluate({ method: 'Version' })?.decision?.kind === 'error');
    // calls 1-2 skipped; then every 2nd (4, 6), at most twice.
    expect(hits.map((h, i) => (h ? i + 1 : 0)).filter(Boolean)).toEqual([4, 6]);
    expect(e.evaluate({ method: 'ListContainers' })).toBeUndefined();
  });

  it('a seeded probability repeats exactly', () => {
    const run = () => {
      const e = new FaultEngine(RPCS);
      e.add({ probability: 0.3, seed: 42, action: { type: 'error', code: 'INTERNAL' } }, 'api');
      return Array.from({ length: 200 }, () => (e.evaluate({ method: 'Version' }) ? 1 : 0)).join('');
    };
    const a = run();
    expect(run()).toBe(a);
    const n = [...a].filter((x) => x === '1').length;
    expect(n).toBeGreaterThan(30);
    expect(n).toBeLessThan(90);
  });

  it('matches pod, container and image', () => {
    const e = new FaultEngine(RPCS);
    e.add({ pod: 'ns/web', container: 'app', action: { type: 'delay', delay: '250ms' } }, 'api');
    e.add({ image: 'nginx', action: { type: 'error', code: 'NOT_FOUND', message: 'gone' } }, 'api');
    expect(e.evaluate({ method: 'CreateContainer', pod, container: 'app' })?.delayMs).toBe(250);
    expect(e.evaluate({ method: 'CreateContainer', pod: { ...pod, namespace: 'other' }, container: 'app' })).toBeUndefined();
    expect(e.evaluate({ method: 'CreateContainer', pod, container: 'sidecar' })).toBeUndefined();
    expect(e.evaluate({ method: 'PullImage', image: 'docker.io/library/nginx:latest' })?.decision).toMatchObject({ kind: 'error', code: 'NOT_FOUND', message: 'gone' });
  });

  it('honours a time window', () => {
    // The engine reads Date.now(): a fake clock makes the window exact.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const e = new FaultEngine(RPCS);
      e.add({ start_after: '100ms', duration: '100ms', action: { type: 'error', code: 'ABORTED' } }, 'api');
      expect(e.evaluate({ method: 'Version' })).toBeUndefined();
      vi.advanceTimersByTime(99);
      expect(e.evaluate({ method: 'Version' })).toBeUndefined();
      vi.advanceTimersByTime(1);
      expect(e.evaluate({ method: 'Version' })?.decision?.kind).toBe('error');
      vi.advanceTimersByTime(99);
      expect(e.evaluate({ method: 'Version' })?.decision?.kind).toBe('error');
      vi.advanceTimersByTime(1);
      expect(e.evaluate({ method: 'Version' })).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds conditions false and throttles pulls while a rule is active', () => {
    const e = new FaultEngine(RPCS);
    const r = e.add({ action: { type: 'not-ready', condition: 'RuntimeReady', reason: 'Maintenance' } }, 'api');
    e.add({ image: 'big', action: { type: 'throttle', bandwidth: '1Mi' } }, 'api');
    expect(e.conditionOverrides().get('RuntimeReady')?.reason).toBe('Maintenance');
    expect(e.pullBandwidth('docker.io/library/big:latest')).toBe(2 ** 20);
    expect(e.pullBandwidth('docker.io/library/small:latest')).toBeUndefined();
    e.remove(r.id);
    expect(e.conditionOverrides().size).toBe(0);
  });

  it.each([
    [{ rpcs: ['Nope'], action: { type: 'hang' } }, /field "rpcs": unknown RPC "Nope"/],
    [{ action: { type: 'error', code: 'TEAPOT' } }, /field "action.code"/],
    [{ action: { type: 'delay', delay: '-5s' } }, /field "action.delay"/],
    [{ action: { type: 'throttle', bandwidth: 0 } }, /field "action.bandwidth"/],
    [{ action: { type: 'explode' } }, /field "action.type"/],
    [{ rpcs: ['Version'], action: { type: 'pull-error', kind: 'not-found' } }, /PullImage only/],
    [{ probability: 2, action: { type: 'hang' } }, /field "probability"/],
    [{ bogus: 1, action: { type: 'hang' } }, /bogus/],
  ])('refuses %j, naming the field', (rule, message) => {
    const e = new FaultEngine(RPCS);
    expect(() => e.add(rule as never, 'api')).toThrow(message);
    expect(e.list()).toEqual([]);
  });
});

describe('containerd failpoints', () => {
  it('parse and run in order, then stay off', () => {
    const fp = new Failpoint(parseFailpoint('1*off->2*error(oops)->1*delay(50)', 'fp'));
    expect([fp.next(), fp.next(), fp.next(), fp.next(), fp.next()].map((t) => t && `${t.type}:${t.arg}`)).toEqual(['off:', 'error:oops', 'error:oops', 'delay:50', undefined]);
  });
  it.each(['1*boom', '1*delay(x)', 'x*off', ''])('refuses %j', (spec) => {
    expect(() => parseFailpoint(spec, 'annotation')).toThrow(/annotation/);
  });
  it('come from pod annotations', () => {
    const e = new FaultEngine(RPCS);
    const annotations = { 'fakecri.io/failpoint.StopContainer': '1*error(first)->1*panic(second)' };
    e.watchPod('u2', annotations);
    const p = { ...pod, uid: 'u2', annotations };
    expect(e.evaluate({ method: 'StopContainer', pod: p })?.decision).toMatchObject({ code: 'UNKNOWN', message: 'first' });
    expect(e.evaluate({ method: 'StopContainer', pod: p })?.decision).toMatchObject({ message: 'panic: second' });
    expect(e.evaluate({ method: 'StopContainer', pod: p })).toBeUndefined();
    expect(() => e.watchPod('u3', { 'fakecri.io/failpoint.Nope': '1*off' })).toThrow(/unknown RPC "Nope"/);
  });
});
