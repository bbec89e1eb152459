import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';

describe('pod and container lifecycle', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ network: { default_pod_cidr: '10.9.0.0/29' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
  });
  afterEach(() => h.close());

  const run = async (name: string, opts: Parameters<typeof podConfig>[1] = {}) =>
    (await h.rt('RunPodSandbox', { config: podConfig(name, opts) })).pod_sandbox_id as string;
  const create = async (sandboxId: string, pod: string, name: string, attempt = 0) =>
    (await h.rt('CreateContainer', { pod_sandbox_id: sandboxId, config: containerConfig(name, 'busybox', { attempt }), sandbox_config: podConfig(pod) })).container_id as string;
  const cstatus = async (id: string) => (await h.rt('ContainerStatus', { container_id: id })).status;

  it('StopContainer with timeout 0 kills: exit 137, reason Error', async () => {
    const s = await run('a');
    const c = await create(s, 'a', 'c');
    await h.rt('StartContainer', { container_id: c });
    await h.rt('StopContainer', { container_id: c, timeout: 0 });
    const st = await cstatus(c);
    expect([st.state, st.exit_code, st.reason]).toEqual(['CONTAINER_EXITED', 137, 'Error']);
  });

  it('StopContainer of a created container leaves it created; stopping twice is fine', async () => {
    const s = await run('a');
    const c = await create(s, 'a', 'c');
    await h.rt('StopContainer', { container_id: c, timeout: 10 });
    expect((await cstatus(c)).state).toBe('CONTAINER_CREATED');
    await h.rt('StartContainer', { container_id: c });
    await h.rt('StopContainer', { container_id: c, timeout: 10 });
    await h.rt('StopContainer', { container_id: c, timeout: 10 });
    expect((await cstatus(c)).state).toBe('CONTAINER_EXITED');
  });

  it('an exited container cannot start again', async () => {
    const s = await run('a');
    const c = await create(s, 'a', 'c');
    await h.rt('StartContainer', { container_id: c });
    await h.rt('StopContainer', { container_id: c, timeout: 1 });
    const err = await h.rt('StartContainer', { container_id: c }).catch((e) => e);
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.message).toMatch(/is exited, it cannot become running/);
  });

  it('StopPodSandbox kills running containers and refuses new ones', async () => {
    const s = await run('a');
    const c1 = await create(s, 'a', 'c1');
    const c2 = await create(s, 'a', 'c2');
    await h.rt('StartContainer', { container_id: c1 });
    await h.rt('StopPodSandbox', { pod_sandbox_id: s });
    expect((await cstatus(c1)).exit_code).toBe(137);
    expect((await cstatus(c2)).state).toBe('CONTAINER_CREATED');
    const err = await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c3', 'busybox'), sandbox_config: podConfig('a') }).catch((e) => e);
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.message).toMatch(/is not ready/);
    const err2 = await h.rt('StartContainer', { container_id: c2 }).catch((e) => e);
    expect(err2.code).toBe(status.FAILED_PRECONDITION);
  });

  it('StopPodSandbox, RemovePodSandbox and StopContainer of unknown ids succeed; RemoveContainer is idempotent', async () => {
    await h.rt('StopPodSandbox', { pod_sandbox_id: 'f'.repeat(64) });
    // critest: "StopContainer should not return an error if not found", as containerd.
    await h.rt('StopContainer', { container_id: 'aa435d14-47c7-4063-a6bd-9c41b9f6aea4', timeout: 0 });
    await h.rt('RemovePodSandbox', { pod_sandbox_id: 'f'.repeat(64) });
    await h.rt('RemoveContainer', { container_id: 'f'.repeat(64) });
    const s = await run('a');
    const c = await create(s, 'a', 'c');
    await h.rt('StartContainer', { container_id: c });
    await h.rt('RemoveContainer', { container_id: c });
    await h.rt('RemoveContainer', { container_id: c });
    expect((await h.rt('ListContainers')).containers).toEqual([]);
    // The name is free again once the container is gone.
    await create(s, 'a', 'c');
  });

  it('RemovePodSandbox of a ready sandbox stops and removes everything', async () => {
    const s = await run('a');
    const c = await create(s, 'a', 'c');
    await h.rt('StartContainer', { container_id: c });
    await h.rt('RemovePodSandbox', { pod_sandbox_id: s });
    expect((await h.rt('ListPodSandbox')).items).toEqual([]);
    expect((await h.rt('ListContainers')).containers).toEqual([]);
    // The sandbox name is free again.
    await run('a');
  });

  it('a new attempt of the same container is a new container', async () => {
    const s = await run('a');
    const c0 = await create(s, 'a', 'c', 0);
    const c1 = await create(s, 'a', 'c', 1);
    expect(c0).not.toBe(c1);
  });

  it('created_at values are distinct and increasing', async () => {
    const s = await run('a');
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push(await create(s, 'a', `c${i}`));
    const list = (await h.rt('ListContainers')).containers;
    const times = list.map((c: any) => BigInt(c.created_at));
    expect(new Set(times.map(String)).size).toBe(20);
    expect([...times].sort((a, b) => (a < b ? -1 : 1))).toEqual(times);
  });

  it('pod IPs are unique, released on removal, and host-network pods get none', async () => {
    // 10.9.0.0/29 has five usable addresses (.2 to .6).
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await run(`p${i}`));
    const ips = await Promise.all(ids.map(async (id) => (await h.rt('PodSandboxStatus', { pod_sandbox_id: id })).status.network.ip));
    expect(new Set(ips).size).toBe(5);
    for (const ip of ips) expect(ip).toMatch(/^10\.9\.0\.[2-6]$/);
    const full = await h.rt('RunPodSandbox', { config: podConfig('p5') }).catch((e) => e);
    expect(full.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(full.message).toMatch(/no free pod IP left in 10\.9\.0\.0\/29/);

    const host = await run('host', { hostNetwork: true });
    const hs = (await h.rt('PodSandboxStatus', { pod_sandbox_id: host })).status;
    expect(hs.network).toBeNull();
    expect(hs.linux.namespaces.options.network).toBe('NODE');

    await h.rt('StopPodSandbox', { pod_sandbox_id: ids[2] });
    // Still reported while stopped: the kubelet reads it when tearing down.
    expect((await h.rt('PodSandboxStatus', { pod_sandbox_id: ids[2] })).status.network.ip).toBe(ips[2]);
    await h.rt('RemovePodSandbox', { pod_sandbox_id: ids[2] });
    const again = await run('p6');
    expect((await h.rt('PodSandboxStatus', { pod_sandbox_id: again })).status.network.ip).toBe(ips[2]);
  });

  it('dual-stack pod CIDRs give an additional IPv6 address', async () => {
    await h.rt('UpdateRuntimeConfig', { runtime_config: { network_config: { pod_cidr: '10.10.0.0/24,fd00:10::/64' } } });
    const s = await run('ds');
    const net = (await h.rt('PodSandboxStatus', { pod_sandbox_id: s })).status.network;
    expect(net.ip).toBe('10.10.0.2');
    expect(net.additional_ips).toEqual([{ ip: 'fd00:10::2' }]);
  });

  it('logs: the file appears at start and ReopenContainerLog starts a fresh one', async () => {
    const logDir = join(h.dir, 'logs', 'pod');
    const s = (await h.rt('RunPodSandbox', { config: podConfig('l', { logDir }) })).pod_sandbox_id;
    const c = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'busybox'), sandbox_config: podConfig('l', { logDir }) })).container_id;
    const path = join(logDir, 'c', '0.log');
    expect(existsSync(path)).toBe(false);
    await h.rt('StartContainer', { container_id: c });
    const first = readFileSync(path, 'utf8');
    expect(first).toMatch(/ stdout F fakecri: container c started\n$/);
    renameSync(path, `${path}.20261122-000000`);
    await h.rt('ReopenContainerLog', { container_id: c });
    expect(readFileSync(path, 'utf8')).toBe('');
    expect(readFileSync(`${path}.20261122-000000`, 'utf8')).toBe(first);
  });

  it('UpdateContainerResources is reported back by ContainerStatus', async () => {
    const s = await run('a');
    const c = await create(s, 'a', 'c');
    await h.rt('StartContainer', { container_id: c });
    await h.rt('UpdateContainerResources', { container_id: c, linux: { cpu_quota: '50000', cpu_period: '100000', memory_limit_in_bytes: '268435456' } });
    const r = (await cstatus(c)).resources.linux;
    expect([r.cpu_quota, r.memory_limit_in_bytes]).toEqual(['50000', '268435456']);
    await h.rt('StopContainer', { container_id: c, timeout: 0 });
    const err = await h.rt('UpdateContainerResources', { container_id: c, linux: {} }).catch((e) => e);
    expect(err.code).toBe(status.FAILED_PRECONDITION);
  });

  it('stats: PodSandboxStats lists running containers; ListPodSandboxStats only ready sandboxes', async () => {
    const s1 = await run('a');
    const s2 = await run('b');
    const c = await create(s1, 'a', 'c');
    await h.rt('StartContainer', { container_id: c });
    const ps = (await h.rt('PodSandboxStats', { pod_sandbox_id: s1 })).stats;
    expect(ps.attributes.id).toBe(s1);
    expect(ps.linux.containers.map((x: any) => x.attributes.id)).toEqual([c]);
    await h.rt('StopPodSandbox', { pod_sandbox_id: s2 });
    const all = (await h.rt('ListPodSandboxStats', {})).stats;
    expect(all.map((x: any) => x.attributes.id)).toEqual([s1]);
    expect((await h.rt('ContainerStats', { container_id: c })).stats.attributes.metadata.name).toBe('c');
  });
});
