import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCriProto } from '../cri/proto';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { cancelAfterFirstBatch } from './list-streams';
import { until } from './wait';

const MiB = 1024 * 1024;

// What the kubelet serves at /metrics/cadvisor with PodAndContainerStatsFromCRI:
// ListMetricDescriptors once, then ListPodSandboxMetrics per scrape.
describe('CRI metrics', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ workloads: { cpu: '1', memory: '48Mi' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
  });
  afterEach(() => h.close());

  async function runPod(pod: string, names: string[], resources: object = { cpu_shares: '2', memory_limit_in_bytes: '134217728' }) {
    const cfg = podConfig(pod);
    const sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
    const ids: string[] = [];
    for (const name of names) {
      const cc = { ...containerConfig(name, 'busybox', { podName: pod }), command: ['sh', '-c', 'sleep 3600 & wait'], args: [], linux: { resources, security_context: {} } };
      const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id as string;
      await h.rt('StartContainer', { container_id: id });
      ids.push(id);
    }
    return { sandbox, cfg, ids };
  }
  const descriptors = async () => (await h.rt('ListMetricDescriptors')).descriptors as { name: string; help: string; label_keys: string[] }[];
  const podMetrics = async () => (await h.rt('ListPodSandboxMetrics')).pod_metrics as any[];
  const containerMetrics = async (id: string) => {
    for (const p of await podMetrics()) for (const c of p.container_metrics) if (c.container_id === id) return c.metrics as any[];
    throw new Error(`no metrics for container ${id}`);
  };
  const value = (metrics: any[], name: string, ...extra: string[]) => {
    const m = metrics.filter((x) => x.name === name && extra.every((v, i) => x.label_values[6 + i] === v));
    expect(m, name).toHaveLength(1);
    return BigInt(m[0].value.value);
  };

  it('every metric has a descriptor, as many label values as its label keys, a type and a timestamp', async () => {
    const { sandbox, ids } = await runPod('p', ['a', 'b']);
    const descs = new Map((await descriptors()).map((d) => [d.name, d]));
    expect(descs.size).toBeGreaterThan(20);
    for (const d of descs.values()) expect(d.label_keys.slice(0, 6)).toEqual(['id', 'name', 'image', 'namespace', 'pod', 'container']);
    const pods = await podMetrics();
    expect(pods.map((p) => p.pod_sandbox_id)).toEqual([sandbox]);
    const [pod] = pods;
    expect(pod.container_metrics.map((c: any) => c.container_id).sort()).toEqual([...ids].sort());
    const all = [...pod.metrics, ...pod.container_metrics.flatMap((c: any) => c.metrics)];
    for (const m of all) {
      const d = descs.get(m.name);
      expect(d, `descriptor of ${m.name}`).toBeDefined();
      expect(m.label_values.length, `label values of ${m.name}`).toBe(d!.label_keys.length);
      expect(['COUNTER', 'GAUGE']).toContain(m.metric_type);
      expect(BigInt(m.timestamp)).toBeGreaterThan(0n);
    }
    // Pod level: the network, labelled as the infra container, as CRI-O does.
    const rx = pod.metrics.find((m: any) => m.name === 'container_network_receive_bytes_total');
    expect(rx.label_values).toEqual([sandbox, 'POD', '', 'default', 'p', 'POD', 'eth0']);
    expect(rx.metric_type).toBe('COUNTER');
    // Container level: who it is.
    const a = pod.container_metrics.find((c: any) => c.container_id === ids[0]).metrics;
    const ws = a.find((m: any) => m.name === 'container_memory_working_set_bytes');
    expect(ws.label_values).toEqual([ids[0], 'k8s_a_p_default_uid-p_0', 'docker.io/library/busybox:latest', 'default', 'p', 'a']);
    expect(ws.metric_type).toBe('GAUGE');
    // Every name used is described, and the stopped pod and container go.
    await h.rt('StopContainer', { container_id: ids[1], timeout: 0 });
    expect((await podMetrics())[0].container_metrics.map((c: any) => c.container_id)).toEqual([ids[0]]);
    await h.rt('StopPodSandbox', { pod_sandbox_id: sandbox });
    expect(await podMetrics()).toEqual([]);
  });

  it('agree with the stats RPCs: writable layer, memory, CPU time, spec', async () => {
    const { ids } = await runPod('p', ['c']);
    const [id] = ids;
    const r = await h.rt('ExecSync', { container_id: id, cmd: ['dd', 'if=/dev/zero', 'of=/data', 'bs=1048576', 'count=3'], timeout: 30 });
    expect(r.exit_code).toBe(0);
    const stats = (await h.rt('ListContainerStats')).stats[0];
    const m = await containerMetrics(id);
    const layer = BigInt(stats.writable_layer.used_bytes.value);
    expect(layer).toBeGreaterThanOrEqual(BigInt(3 * MiB));
    expect(value(m, 'container_fs_usage_bytes')).toBe(layer);
    expect(value(m, 'container_memory_working_set_bytes')).toBe(BigInt(stats.memory.working_set_bytes.value));
    expect(value(m, 'container_memory_working_set_bytes')).toBe(BigInt(48 * MiB));
    expect(value(m, 'container_memory_rss')).toBe(BigInt(stats.memory.rss_bytes.value));
    expect(value(m, 'container_spec_memory_limit_bytes')).toBe(134217728n);
    expect(value(m, 'container_spec_cpu_shares')).toBe(2n);
    // No quota set: not reported, as CRI-O.
    expect(m.some((x) => x.name === 'container_spec_cpu_quota')).toBe(false);
    expect(value(m, 'container_fs_limit_bytes')).toBeGreaterThan(layer);
    // One core: whole seconds of CPU time, as usage_core_nano_seconds counts them.
    const seconds = await until('two seconds of CPU time', async () => {
      const v = value(await containerMetrics(id), 'container_cpu_usage_seconds_total', 'total');
      return v >= 2n ? v : undefined;
    });
    const after = BigInt((await h.rt('ContainerStats', { container_id: id })).stats.cpu.usage_core_nano_seconds.value) / 1_000_000_000n;
    expect(after).toBeGreaterThanOrEqual(seconds);
    // The shell, and the sleep it waits for, as in the container's /proc.
    await until('the shell and sleep', async () => value(await containerMetrics(id), 'container_processes') === 2n);
    const ps = await h.rt('ExecSync', { container_id: id, cmd: ['sh', '-c', 'ls -d /proc/[0-9]*'], timeout: 30 });
    // Less the exec's own ls (sh -c execs its only command).
    expect(Buffer.from(ps.stdout).toString().trim().split('\n').length - 1).toBe(2);
  });

  it('StreamPodSandboxMetrics sends the same sandboxes in batches and ends', async () => {
    const made: string[] = [];
    for (let i = 0; i < 130; i++) made.push((await h.rt('RunPodSandbox', { config: podConfig(`s${i}`) })).pod_sandbox_id);
    const Ctor = loadCriProto().runtime.v1.RuntimeService as unknown as grpc.ServiceClientConstructor;
    const client = new Ctor(`unix://${h.socket}`, grpc.credentials.createInsecure()) as any;
    try {
      const messages: any[] = [];
      await new Promise<void>((resolve, reject) => {
        const stream = client.StreamPodSandboxMetrics({}, { deadline: Date.now() + 60_000 });
        stream.on('data', (m: any) => messages.push(m));
        stream.on('error', reject);
        stream.on('end', resolve);
      });
      expect(messages.length).toBeGreaterThan(1);
      for (const m of messages) expect(m.pod_sandbox_metrics.length).toBeGreaterThan(0);
      const streamed = messages.flatMap((m) => m.pod_sandbox_metrics.map((p: any) => p.pod_sandbox_id));
      const listed = (await podMetrics()).map((p) => p.pod_sandbox_id);
      expect(streamed.sort()).toEqual([...made].sort());
      expect(listed.sort()).toEqual([...made].sort());
    } finally {
      client.close();
    }
  });

  it('StreamPodSandboxMetrics stops computing when the client goes', async () => {
    // Some 4 MiB of metrics: more than the client and the sockets hold unread.
    for (let i = 0; i < 3000; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => h.rt('RunPodSandbox', { config: podConfig(`s${i + j}`) })));
    const Ctor = loadCriProto().runtime.v1.RuntimeService as unknown as grpc.ServiceClientConstructor;
    const client = new Ctor(`unix://${h.socket}`, grpc.credentials.createInsecure()) as any;
    try {
      const rec = await cancelAfterFirstBatch(h, 'StreamPodSandboxMetrics', () => client.StreamPodSandboxMetrics({}, { deadline: Date.now() + 60_000 }));
      expect(rec.code).toBe('CANCELLED');
      expect(rec.items).toBeLessThan(3000);
    } finally {
      client.close();
    }
  });

  it('ListPodSandboxMetrics past the message limit: RESOURCE_EXHAUSTED naming StreamPodSandboxMetrics, which sends it all', async () => {
    // The longest names the CRI takes make some 55 KiB of metrics per container.
    const long = (c: string) => c.repeat(253);
    const cfg = podConfig(long('p'), { namespace: long('n'), uid: long('u') });
    const sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
    for (let i = 0; i < 320; i++) {
      const cc = { ...containerConfig(`${i}-${long('c')}`.slice(0, 253), 'busybox', { podName: cfg.metadata.name, uid: cfg.metadata.uid }), command: ['sleep', '3600'], args: [] };
      const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id;
      await h.rt('StartContainer', { container_id: id });
    }
    const err = await h.rt('ListPodSandboxMetrics').then(() => undefined, (e: grpc.ServiceError) => e);
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err?.details).toMatch(/^Sent message larger than max \(\d+ vs\. 16777216\); StreamPodSandboxMetrics sends the same list in parts$/);
    const Ctor = loadCriProto().runtime.v1.RuntimeService as unknown as grpc.ServiceClientConstructor;
    // Every message under 4 MiB, or this client refuses it.
    const client = new Ctor(`unix://${h.socket}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 4 * 1024 * 1024 }) as any;
    try {
      const containers = await new Promise<number>((resolve, reject) => {
        let n = 0;
        const stream = client.StreamPodSandboxMetrics({}, { deadline: Date.now() + 120_000 });
        stream.on('data', (m: any) => (n += m.pod_sandbox_metrics.reduce((k: number, p: any) => k + p.container_metrics.length, 0)));
        stream.on('error', reject);
        stream.on('end', () => resolve(n));
      });
      expect(containers).toBe(320);
    } finally {
      client.close();
    }
  }, 240_000);
});
