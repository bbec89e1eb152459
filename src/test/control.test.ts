import { statSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../control/client';
import { routes } from '../control/routes';
import { freePort } from '../testing/registry';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { until } from './wait';

const MiB = 2 ** 20;

// The control API on its unix socket: resources listed, created and deleted;
// bad input answered 4xx with the field named, and nothing changed.
describe('control API', () => {
  let h: Harness;
  let api: ControlClient;
  let containerId = '';
  const token = 'a-test-token-of-32-characters-xx';
  beforeAll(async () => {
    h = await startHarness({ control: { tcp_port: 0 }, filesystems: { imagefs: { capacity: '1Gi' }, containerfs: { capacity: '256Mi' } } });
    api = new ControlClient({ socket: h.server.controlSocket });
    await h.img('PullImage', { image: { image: 'nginx:1.25' } });
    const s = (await h.rt('RunPodSandbox', { config: podConfig('web') })).pod_sandbox_id;
    containerId = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('app', 'nginx:1.25'), sandbox_config: podConfig('web') })).container_id;
    await h.rt('StartContainer', { container_id: containerId });
  });
  afterAll(() => h.close());

  it('sits beside the CRI socket, reachable by its owner only', () => {
    expect(h.server.controlSocket).toBe(h.socket.replace(/\.sock$/, '-control.sock'));
    expect(statSync(h.server.controlSocket).mode & 0o777).toBe(0o600);
  });

  it('lists pods, containers, images and filesystems', async () => {
    expect(await api.call('GET', routes.pods)).toMatchObject([{ name: 'web', namespace: 'default', state: 'ready', containers: 1 }]);
    expect(await api.call('GET', routes.containers)).toMatchObject([{ id: containerId, name: 'app', pod: 'default/web', state: 'running' }]);
    expect(await api.call('GET', routes.images)).toMatchObject([{ tags: ['docker.io/library/nginx:1.25'] }]);
    const fs = await api.call<any[]>('GET', routes.fs);
    expect(fs.map((f) => [f.name, f.backend, f.capacityBytes])).toEqual([
      ['imagefs', 'memory', 2 ** 30],
      ['containerfs', 'memory', 256 * MiB],
    ]);
  });

  it('fills and drains ballast, and the CRI sees it', async () => {
    expect(await api.call('POST', routes.ballast('containerfs'), { fill: '50%' })).toMatchObject({ addedBytes: 128 * MiB });
    expect(await api.call('POST', routes.ballast('containerfs'), { fill: '16Mi' })).toMatchObject({ addedBytes: 16 * MiB, ballastBytes: 144 * MiB });
    const info = await h.img('ImageFsInfo');
    expect(Number(info.container_filesystems[0].used_bytes.value)).toBe(144 * MiB);
    expect(await api.call('DELETE', routes.ballast('containerfs'))).toMatchObject({ freedBytes: 144 * MiB });
    expect(Number((await h.img('ImageFsInfo')).container_filesystems[0].used_bytes.value)).toBe(0);
  });

  it('records the CRI calls with their outcome', async () => {
    const seq = (await api.call<any[]>('GET', `${routes.calls}?limit=1`))[0].seq;
    await h.rt('ContainerStatus', { container_id: containerId });
    await h.rt('ContainerStatus', { container_id: 'nope' }).catch(() => {});
    const calls = await api.call<any[]>('GET', `${routes.calls}?since=${seq}&rpc=ContainerStatus`);
    expect(calls.map((c) => [c.method, c.request.container_id, c.code])).toEqual([
      ['ContainerStatus', containerId, 'OK'],
      ['ContainerStatus', 'nope', 'NOT_FOUND'],
    ]);
    expect(calls[1].error).toBe('container "nope" not found');
  });

  it('follows calls as they happen', async () => {
    // From the last call on: what is recorded before the follower is set up
    // is sent first, so nothing is missed whatever the timing.
    const seq = (await api.call<any[]>('GET', `${routes.calls}?limit=1`))[0].seq;
    const seen: any[] = [];
    const ac = new AbortController();
    const following = api.follow(`${routes.calls}?follow=1&rpc=Version&since=${seq}`, (x) => seen.push(x), ac.signal);
    await h.rt('Version');
    await h.rt('Status');
    await h.rt('Version');
    await until('two calls', () => seen.length >= 2);
    ac.abort();
    await following;
    expect(seen.map((c) => [c.method, c.seq > seq])).toEqual([
      ['Version', true],
      ['Version', true],
    ]);
  });

  it.each([
    ['an unknown RPC name', 'POST', routes.faults, { rpcs: ['Bogus'], action: { type: 'hang' } }, 400, /rpcs.*unknown RPC "Bogus"/, 'rpcs'],
    ['an invalid gRPC code', 'POST', routes.faults, { action: { type: 'error', code: 'TEAPOT' } }, 400, /action\.code/, 'action.code'],
    ['a negative rate', 'PUT', 'behaviour', { rootfs_write: { rate: -5, total: '1Mi' } }, 400, /rootfs_write\.rate/, 'rootfs_write.rate'],
    ['an unknown behaviour key', 'PUT', 'behaviour', { explode: true }, 400, /unknown key explode/, undefined],
    ['an unknown container id', 'POST', routes.containerExit('nope'), { code: 1 }, 404, /container "nope" not found/, 'id'],
    ['an exit code out of range', 'POST', 'exit', { code: 300 }, 400, /field "code"/, 'code'],
    ['a bad ballast amount', 'POST', routes.ballast('imagefs'), { fill: '150%' }, 400, /150%/, 'fill'],
    ['an unknown filesystem', 'POST', routes.ballast('nodefs'), { fill: '1Mi' }, 404, /no filesystem "nodefs"/, 'name'],
    ['an unknown fault rule', 'DELETE', routes.fault('nope'), undefined, 404, /fault rule "nope" not found/, 'id'],
    ['a bad calls query', 'GET', `${routes.calls}?since=-1`, undefined, 400, /since/, 'since'],
  ])('answers %s with a 4xx naming the field, changing nothing', async (_what, method, path, body, status, message, field) => {
    const p = path === 'behaviour' ? routes.containerBehaviour(containerId) : path === 'exit' ? routes.containerExit(containerId) : path;
    const before = [await api.call('GET', routes.faults), await api.call('GET', routes.containerBehaviour(containerId)), await api.call('GET', routes.fs), await api.call('GET', routes.containers)];
    const err: any = await api.call(method, p, body).catch((e: any) => e);
    expect(err.status).toBe(status);
    expect(err.message).toMatch(message);
    expect(err.field).toBe(field);
    const after = [await api.call('GET', routes.faults), await api.call('GET', routes.containerBehaviour(containerId)), await api.call('GET', routes.fs), await api.call('GET', routes.containers)];
    expect(after).toEqual(before);
  });

  it('answers malformed JSON, unknown paths and wrong methods clearly', async () => {
    const raw = (method: string, path: string, body: string) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = request({ socketPath: h.server.controlSocket, path, method, headers: { 'content-type': 'application/json' } }, async (res) => {
          let text = '';
          for await (const c of res) text += c;
          resolve({ status: res.statusCode!, body: JSON.parse(text) });
        });
        req.on('error', reject);
        req.end(body);
      });
    expect(await raw('POST', routes.faults, '{"action":')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/not JSON/) } });
    expect(await raw('GET', '/v1/nothing', '')).toMatchObject({ status: 404 });
    expect(await raw('PATCH', routes.faults, '')).toMatchObject({ status: 405, body: { error: expect.stringMatching(/allowed: GET, POST/) } });
    expect(await api.call('GET', routes.faults)).toEqual([]);
  });

  it('creates, lists and deletes fault rules and behaviours', async () => {
    const rule = await api.call<any>('POST', routes.faults, { rpcs: ['Version'], action: { type: 'delay', delay: '1ms' } });
    expect(await api.call('GET', routes.faults)).toMatchObject([{ id: rule.id, source: 'api' }]);
    expect(await api.call('GET', routes.fault(rule.id))).toMatchObject({ id: rule.id });
    await api.call('DELETE', routes.fault(rule.id));
    expect(await api.call('GET', routes.faults)).toEqual([]);
    await api.call('PUT', routes.containerBehaviour(containerId), { cpu: '250m', memory: '64Mi' });
    expect(await api.call('GET', routes.containerBehaviour(containerId))).toMatchObject({ override: { cpu: 250_000_000, memory: 64 * MiB } });
    const stats = (await h.rt('ContainerStats', { container_id: containerId })).stats;
    expect(stats.cpu.usage_nano_cores.value).toBe('250000000');
    expect(stats.memory.working_set_bytes.value).toBe(String(64 * MiB));
    await api.call('DELETE', routes.containerBehaviour(containerId));
    expect(await api.call('GET', routes.containerBehaviour(containerId))).toEqual({ behaviour: {} });
  });

  it('serves loopback TCP only with the bearer token', async () => {
    await h.restart({ control: { tcp_port: 0 } });
    const h2 = await startHarness({ control: { tcp_port: await freePort(), token } });
    try {
      const url = `http://127.0.0.1:${h2.server.controlPort}`;
      expect(await new ControlClient({ url, token }).call('GET', routes.status)).toMatchObject({ sandboxes: 0 });
      const err: any = await new ControlClient({ url, token: "wrong-token-of-32-characters-xxx" }).call("GET", routes.status).catch((e: any) => e);
      expect(err.status).toBe(401);
      const none: any = await new ControlClient({ url }).call("GET", routes.status).catch((e: any) => e);
      expect(none.status).toBe(401);
    } finally {
      await h2.close();
    }
  });
});
