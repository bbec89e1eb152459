import { status } from '@grpc/grpc-js';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../control/client';
import { routes } from '../control/routes';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';

// UpdatePodSandboxResources (pod-level in-place resize), through the CRI
// socket: recorded on the sandbox, shown in PodSandboxStatus's verbose info,
// kept across a restart, seen in the containers' /sys/fs/cgroup.
const MiB = 2 ** 20;

describe('UpdatePodSandboxResources', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ runtime: { start_log_line: '' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
  });
  afterEach(() => h.close());

  async function pod(name: string, linux: object = {}) {
    const cfg = podConfig(name, { logDir: join(h.dir, 'logs', name) });
    const config = { ...cfg, linux: { ...cfg.linux, ...linux } };
    const id = (await h.rt('RunPodSandbox', { config })).pod_sandbox_id as string;
    return { id, config };
  }
  async function container(p: { id: string; config: object }, name: string, resources: object) {
    const cc = { ...containerConfig(name, 'busybox'), linux: { resources, security_context: {} } };
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: p.id, config: cc, sandbox_config: p.config })).container_id as string;
    await h.rt('StartContainer', { container_id: id });
    return id;
  }
  const cat = async (id: string, file: string) => {
    const r = await h.rt('ExecSync', { container_id: id, cmd: ['cat', `/sys/fs/cgroup/${file}`], timeout: 30 });
    expect(r.exit_code, Buffer.from(r.stderr).toString()).toBe(0);
    return Buffer.from(r.stdout).toString().trim();
  };
  const info = async (id: string) => JSON.parse((await h.rt('PodSandboxStatus', { pod_sandbox_id: id, verbose: true })).info.info);
  const resize = (id: string, resources: object | null, overhead: object | null = null) =>
    h.rt('UpdatePodSandboxResources', { pod_sandbox_id: id, resources, overhead });

  it('records overhead and resources, shows them in the verbose status, keeps them across a restart', async () => {
    const p = await pod('rec', { resources: { cpu_period: '100000', cpu_quota: '20000', memory_limit_in_bytes: String(64 * MiB) } });
    // Before any update: RunPodSandbox's.
    const before = await info(p.id);
    expect([before.overhead, before.resources]).toEqual([null, { cpu_period: '100000', cpu_quota: '20000', memory_limit_in_bytes: String(64 * MiB) }]);
    await resize(p.id, { cpu_period: '100000', cpu_quota: '50000', cpu_shares: '512', memory_limit_in_bytes: String(256 * MiB) }, { memory_limit_in_bytes: String(32 * MiB) });
    const want = {
      resources: { cpu_period: '100000', cpu_quota: '50000', cpu_shares: '512', memory_limit_in_bytes: String(256 * MiB) },
      overhead: { memory_limit_in_bytes: String(32 * MiB) },
    };
    expect(await info(p.id)).toMatchObject(want);
    await h.restart();
    expect(await info(p.id)).toMatchObject(want);
  });

  it("containers' /sys/fs/cgroup: their own limits (max where none, as upstream's resize e2e checks), the pod's cpuset in *.effective", async () => {
    const p = await pod('cg');
    const free = await container(p, 'free', {});
    const own = await container(p, 'own', { cpu_period: '100000', cpu_quota: '10000', cpu_shares: '102', memory_limit_in_bytes: String(16 * MiB), cpuset_cpus: '0' });
    const freeFiles = async () => [await cat(free, 'memory.max'), await cat(free, 'cpu.max'), await cat(free, 'cpuset.cpus.effective')];
    const before = await freeFiles();
    expect(before.slice(0, 2)).toEqual(['max', 'max 100000']);

    await resize(p.id, { cpu_period: '100000', cpu_quota: '50000', cpu_shares: '512', memory_limit_in_bytes: String(256 * MiB), cpuset_cpus: '0' }, { cpu_quota: '10000', memory_limit_in_bytes: String(32 * MiB) });
    // The pod cgroup binds it, but its own files say max, as on a real node.
    expect(await freeFiles()).toEqual(['max', 'max 100000', '0']);
    expect(await cat(free, 'cpu.weight')).toBe('100');
    expect([await cat(own, 'memory.max'), await cat(own, 'cpu.max'), await cat(own, 'cpuset.cpus.effective')]).toEqual([String(16 * MiB), '10000 100000', '0']);

    // The container's processes have its oom_score_adj (upstream's resize e2e reads it).
    const adj = await container(p, 'adj', { oom_score_adj: '999' });
    expect(Buffer.from((await h.rt('ExecSync', { container_id: adj, cmd: ['cat', '/proc/1/oom_score_adj', '/proc/self/oom_score_adj'], timeout: 30 })).stdout).toString()).toBe('999\n999\n');
    expect((await h.rt('ExecSync', { container_id: free, cmd: ['cat', '/proc/1/oom_score_adj'], timeout: 30 })).stdout.toString()).toBe('0\n');

    // A resize that lifts a limit sends LONG_MAX, which the kernel reads back as max.
    await h.rt('UpdateContainerResources', { container_id: own, linux: { memory_limit_in_bytes: '9223372036854775807' } });
    expect(await cat(own, 'memory.max')).toBe('max');

    // Unset again: the effective cpuset is the node's again.
    await resize(p.id, null);
    expect(await freeFiles()).toEqual(before);
  });

  it('an unknown sandbox is NOT_FOUND naming it; a stopped one is updated, as containerd and CRI-O do; an empty id is INVALID_ARGUMENT', async () => {
    const err = await resize('0123456789abcdef', {}).catch((e) => e);
    expect([err.code, err.details]).toEqual([status.NOT_FOUND, 'pod sandbox "0123456789abcdef" not found']);
    const empty = await resize('', {}).catch((e) => e);
    expect(empty.code).toBe(status.INVALID_ARGUMENT);
    expect(empty.details).toContain('pod_sandbox_id');

    const p = await pod('stopped');
    await h.rt('StopPodSandbox', { pod_sandbox_id: p.id });
    await resize(p.id, { memory_limit_in_bytes: String(8 * MiB) });
    expect((await info(p.id)).resources).toEqual({ memory_limit_in_bytes: String(8 * MiB) });
  });

  it('a fault rule refuses it with its status and leaves the recorded resources as they were', async () => {
    const p = await pod('fault');
    await resize(p.id, { memory_limit_in_bytes: String(64 * MiB) });
    const api = new ControlClient({ socket: h.server.controlSocket });
    await api.call('POST', routes.faults, { rpcs: ['UpdatePodSandboxResources'], first: 1, action: { type: 'error', code: 'RESOURCE_EXHAUSTED', message: 'pod cgroup busy' } });
    const err = await resize(p.id, { memory_limit_in_bytes: String(512 * MiB) }).catch((e) => e);
    expect([err.code, err.details]).toEqual([status.RESOURCE_EXHAUSTED, 'pod cgroup busy']);
    expect((await info(p.id)).resources).toEqual({ memory_limit_in_bytes: String(64 * MiB) });
    // The rule was for the first call only: the next one goes through.
    await resize(p.id, { memory_limit_in_bytes: String(512 * MiB) });
    expect((await info(p.id)).resources).toEqual({ memory_limit_in_bytes: String(512 * MiB) });
  });
});
