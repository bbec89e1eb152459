import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../control/client';
import { routes } from '../control/routes';
import * as grpc from '@grpc/grpc-js';
import { loadCriProto } from '../cri/proto';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { until } from './wait';

// Each fault action, end to end through the CRI socket.
describe('fault injection', () => {
  let h: Harness;
  let api: ControlClient;
  beforeEach(async () => {
    h = await startHarness({ faults: [{ rpcs: ['ImageFsInfo'], first: 1, action: { type: 'error', code: 'UNAVAILABLE', message: 'from the config' } }] });
    api = new ControlClient({ socket: h.server.controlSocket });
  });
  afterEach(() => h.close());
  const addRule = (rule: object) => api.call<any>('POST', routes.faults, rule);

  it('rules from the config apply from the start', async () => {
    const err = await h.img('ImageFsInfo').catch((e) => e);
    expect([err.code, err.details]).toEqual([status.UNAVAILABLE, 'from the config']);
    await h.img('ImageFsInfo');
    expect(await api.call('GET', routes.faults)).toMatchObject([{ source: 'config', matched: 2, applied: 1 }]);
  });

  it('error: the given code and message, on the matching RPC only', async () => {
    await addRule({ rpcs: ['ListContainers'], action: { type: 'error', code: 'DEADLINE_EXCEEDED', message: 'slow disk' } });
    const err = await h.rt('ListContainers').catch((e) => e);
    expect([err.code, err.details]).toEqual([status.DEADLINE_EXCEEDED, 'slow disk']);
    await h.rt('ListPodSandbox');
    const calls = await api.call<any[]>('GET', `${routes.calls}?rpc=ListContainers`);
    expect(calls.at(-1)).toMatchObject({ code: 'DEADLINE_EXCEEDED', faults: [expect.any(String)] });
  });

  it('delay with jitter slows the call', async () => {
    await addRule({ rpcs: ['Version'], action: { type: 'delay', delay: '200ms', jitter: '50ms' } });
    const t = Date.now();
    await h.rt('Version');
    expect(Date.now() - t).toBeGreaterThanOrEqual(195);
  });

  it('hang holds the call until released', async () => {
    const rule = await addRule({ rpcs: ['ListPodSandbox'], action: { type: 'hang' } });
    let answered = false;
    const call = h.rt('ListPodSandbox').then(() => (answered = true));
    await until('the rule to hold the call', async () => (await api.call<any>('GET', routes.fault(rule.id))).applied === 1);
    expect(answered).toBe(false);
    await api.call('POST', routes.faultRelease(rule.id));
    await call;
    expect(answered).toBe(true);
  });

  it("hang holds the call until the caller's deadline", async () => {
    await addRule({ rpcs: ['Status'], action: { type: 'hang' } });
    const Ctor = loadCriProto().runtime.v1.RuntimeService as unknown as grpc.ServiceClientConstructor;
    const client = new Ctor(`unix://${h.socket}`, grpc.credentials.createInsecure()) as any;
    const t = Date.now();
    const err = await new Promise<any>((resolve) => client.Status({}, { deadline: Date.now() + 300 }, (e: unknown) => resolve(e)));
    client.close();
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
  });

  it('close drops the connection; the next call reconnects', async () => {
    await addRule({ rpcs: ['ListImages'], first: 1, action: { type: 'close' } });
    const err = await h.img('ListImages').catch((e) => e);
    expect(err.code).toBe(status.UNAVAILABLE);
    expect((await h.img('ListImages')).images).toEqual([]);
  });

  it('not-ready holds a condition false while the rule exists', async () => {
    const rule = await addRule({ action: { type: 'not-ready', condition: 'RuntimeReady', reason: 'Drill', message: 'a fire drill' } });
    const conds = (await h.rt('Status')).status.conditions;
    expect(conds).toEqual([
      { type: 'RuntimeReady', status: false, reason: 'Drill', message: 'a fire drill' },
      { type: 'NetworkReady', status: true, reason: '', message: '' },
    ]);
    await api.call('DELETE', routes.fault(rule.id));
    expect((await h.rt('Status')).status.conditions[0].status).toBe(true);
  });

  it.each([
    ['not-found', status.NOT_FOUND, /failed to resolve reference "docker\.io\/library\/nginx:9": docker\.io\/library\/nginx:9: not found/],
    ['unauthorized', status.UNKNOWN, /pull access denied, repository does not exist or may require authorization/],
    ['timeout', status.UNKNOWN, /dial tcp: i\/o timeout/],
    ['too-many-requests', status.UNKNOWN, /429 Too Many Requests.*toomanyrequests/],
  ])('pull-error %s fails PullImage as a registry would', async (kind, code, message) => {
    await addRule({ image: 'nginx:9', action: { type: 'pull-error', kind } });
    const err = await h.img('PullImage', { image: { image: 'nginx:9' } }).catch((e) => e);
    expect(err.code).toBe(code);
    expect(err.details).toMatch(/^failed to pull and unpack image "docker\.io\/library\/nginx:9"/);
    expect(err.details).toMatch(message);
    await h.img('PullImage', { image: { image: 'nginx:10' } });
    expect((await h.img('ListImages')).images).toHaveLength(1);
  });

  // That other images are not throttled is engine.test.ts's (no timing).
  it('throttle makes pulls take their bytes over bandwidth', async () => {
    await h.restart({ images: { catalog: [{ match: 'slow:*', size: '2Mi', layers: 1 }] } });
    api = new ControlClient({ socket: h.server.controlSocket });
    await addRule({ image: 'slow:1', action: { type: 'throttle', bandwidth: '8Mi' } });
    const t = Date.now();
    await h.img('PullImage', { image: { image: 'slow:1' } });
    expect(Date.now() - t).toBeGreaterThanOrEqual(245);
  });

  it('matches on pod and container', async () => {
    await h.img('PullImage', { image: { image: 'busybox' } });
    await addRule({ rpcs: ['CreateContainer'], pod: 'default/db', container: 'main', action: { type: 'error', code: 'RESOURCE_EXHAUSTED', message: 'no more' } });
    const web = (await h.rt('RunPodSandbox', { config: podConfig('web') })).pod_sandbox_id;
    const db = (await h.rt('RunPodSandbox', { config: podConfig('db') })).pod_sandbox_id;
    await h.rt('CreateContainer', { pod_sandbox_id: web, config: containerConfig('main', 'busybox'), sandbox_config: podConfig('web') });
    await h.rt('CreateContainer', { pod_sandbox_id: db, config: containerConfig('side', 'busybox'), sandbox_config: podConfig('db') });
    const err = await h.rt('CreateContainer', { pod_sandbox_id: db, config: containerConfig('main', 'busybox'), sandbox_config: podConfig('db') }).catch((e) => e);
    expect([err.code, err.details]).toEqual([status.RESOURCE_EXHAUSTED, 'no more']);
  });

  it("containerd's failpoint grammar as a pod annotation", async () => {
    await h.img('PullImage', { image: { image: 'busybox' } });
    const cfg = podConfig('fp');
    cfg.annotations['fakecri.io/failpoint.StartContainer'] = '1*error(first start fails)->1*off';
    const s = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id;
    const c = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'busybox'), sandbox_config: cfg })).container_id;
    const err = await h.rt('StartContainer', { container_id: c }).catch((e) => e);
    expect([err.code, err.details]).toEqual([status.UNKNOWN, 'first start fails']);
    await h.rt('StartContainer', { container_id: c });
    const bad = podConfig('bad');
    bad.annotations['fakecri.io/failpoint.StopContainer'] = '1*explode';
    const e2 = await h.rt('RunPodSandbox', { config: bad }).catch((e) => e);
    expect(e2.code).toBe(status.INVALID_ARGUMENT);
    expect(e2.details).toMatch(/annotation "fakecri\.io\/failpoint\.StopContainer"/);
    expect((await h.rt('ListPodSandbox')).items).toHaveLength(1);
  });
});
