import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness, startPod } from './harness';
import { until } from './wait';

const MiB = 2 ** 20;

// What crictl stats, metrics-server and the kubelet's summary API read: a
// running container uses CPU time and memory, an exited one none.
describe('container and pod stats', () => {
  let h: Harness;
  afterEach(() => h?.close());

  const start = (pod: string, names: string[], annotations: Record<string, string> = {}) => startPod(h, pod, names, annotations);
  const stats = async (id: string) => (await h.rt('ContainerStats', { container_id: id })).stats;
  const cpuTime = (s: any) => BigInt(s.cpu.usage_core_nano_seconds.value);

  it('a running container: the [workloads] baseline by default, CPU time growing with its uptime', async () => {
    h = await startHarness();
    await h.img('PullImage', { image: { image: 'busybox' } });
    const { ids } = await start('p', ['c']);
    const first = await stats(ids[0]);
    expect(first.cpu.usage_nano_cores.value).toBe('5000000');
    expect(first.memory.working_set_bytes.value).toBe(String(8 * MiB));
    // Samples 200 ms apart or more: the rate is then exact to 1%.
    const later = await until('a sample 200 ms later', async () => {
      const s = await stats(ids[0]);
      return BigInt(s.cpu.timestamp) - BigInt(first.cpu.timestamp) >= 200_000_000n ? s : undefined;
    });
    expect(cpuTime(later)).toBeGreaterThan(cpuTime(first));
    // 5 millicores: 5 ms of CPU time per second of wall time, between samples.
    const rate = Number(cpuTime(later) - cpuTime(first)) / Number(BigInt(later.cpu.timestamp) - BigInt(first.cpu.timestamp));
    expect(rate).toBeCloseTo(0.005, 3);
    const listed = (await h.rt('ListContainerStats')).stats;
    expect(listed.map((s: any) => [s.attributes.id, s.memory.working_set_bytes.value])).toEqual([[ids[0], String(8 * MiB)]]);
  });

  it('the baseline from the config; a behaviour per container wins; the pod sums its containers', async () => {
    h = await startHarness({ workloads: { cpu: '20m', memory: '32Mi' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
    const { sandbox, ids } = await start('p', ['a', 'b'], { 'fakecri.io/behaviour.b': '{"cpu":"0.25","memory":"100Mi"}' });
    const [a, b] = [await stats(ids[0]), await stats(ids[1])];
    expect([a.cpu.usage_nano_cores.value, a.memory.working_set_bytes.value]).toEqual(['20000000', String(32 * MiB)]);
    expect([b.cpu.usage_nano_cores.value, b.memory.working_set_bytes.value]).toEqual(['250000000', String(100 * MiB)]);
    const pod = (await h.rt('PodSandboxStats', { pod_sandbox_id: sandbox })).stats.linux;
    expect(pod.cpu.usage_nano_cores.value).toBe('270000000');
    expect(pod.memory.working_set_bytes.value).toBe(String(132 * MiB));
    expect(pod.containers).toHaveLength(2);
  });

  it('an exited container uses nothing, and keeps the CPU time it had', async () => {
    h = await startHarness({ workloads: { cpu: '1' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
    const { sandbox, ids } = await start('p', ['c']);
    await until('some CPU time', async () => cpuTime(await stats(ids[0])) > 0n);
    await h.rt('StopContainer', { container_id: ids[0], timeout: 0 });
    const status = (await h.rt('ContainerStatus', { container_id: ids[0] })).status;
    const s = await stats(ids[0]);
    expect([s.cpu.usage_nano_cores.value, s.memory.working_set_bytes.value]).toEqual(['0', '0']);
    // One core for as long as it ran.
    const ran = BigInt(status.finished_at) - BigInt(status.started_at);
    expect(Number(cpuTime(s))).toBeCloseTo(Number(ran), -7);
    expect(cpuTime(await stats(ids[0]))).toBe(cpuTime(s));
    expect((await h.rt('ListContainerStats')).stats).toEqual([]);
    const pod = (await h.rt('PodSandboxStats', { pod_sandbox_id: sandbox })).stats.linux;
    expect([pod.cpu.usage_nano_cores.value, pod.memory.working_set_bytes.value]).toEqual(['0', '0']);
  });

  // The lists are encoded in bulk, field by field (cri/stats-encode.ts); the
  // unary RPCs go through proto-loader. Both must say the same.
  it('ListContainerStats and ListPodSandboxStats say what ContainerStats and PodSandboxStats say', async () => {
    h = await startHarness({ workloads: { cpu: '0', memory: '0' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
    // Figures of every size: zero, one byte, several, past 2^32.
    const a = await start('pa', ['a', 'b'], { 'fakecri.io/behaviour.b': '{"cpu":"3","memory":"300Gi"}' });
    const b = await start('pb', ['c'], { 'fakecri.io/behaviour.c': '{"memory":"100"}' });
    const stopped = await start('pc', ['d']);
    await h.rt('StopContainer', { container_id: stopped.ids[0], timeout: 0 });
    await h.server.app.containers.writeRootfs(a.ids[0], 5 * MiB + 3);
    await h.rt('ExecSync', { container_id: b.ids[0], cmd: ['sh', '-c', 'echo hi > /f; mkdir /d'], timeout: 10 });
    await until('CPU time in b', async () => cpuTime(await stats(a.ids[1])) > 0n);

    // Timestamps and CPU time move between calls: checked apart, then set aside.
    const before = BigInt(Date.now()) * 1_000_000n;
    const listedC = (await h.rt('ListContainerStats', {})).stats;
    const listedP = (await h.rt('ListPodSandboxStats', {})).stats;
    const times: bigint[] = [];
    const still = (x: any): any => {
      if (Array.isArray(x)) return x.map(still);
      if (x === null || typeof x !== 'object') return x;
      const out: any = {};
      for (const [k, v] of Object.entries(x)) {
        if (k === 'timestamp') times.push(BigInt(v as string));
        else if (k === 'usage_core_nano_seconds') out[k] = BigInt((v as any).value) > 0n ? 'some' : 'none';
        else out[k] = still(v);
      }
      return out;
    };
    const byId = (list: any[]) => new Map(list.map((x) => [x.attributes.id, still(x)]));
    const unaryC = byId(await Promise.all([...a.ids, ...b.ids].map(stats)));
    const unaryP = byId(await Promise.all([a.sandbox, b.sandbox, stopped.sandbox].map(async (id) => (await h.rt('PodSandboxStats', { pod_sandbox_id: id })).stats)));
    times.length = 0;
    expect(byId(listedC)).toEqual(unaryC);
    expect(byId(listedP)).toEqual(unaryP);
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    expect(times.length).toBeGreaterThan(0);
    for (const t of times) expect(t >= before - 1_000_000n && t <= after).toBe(true);

    const layer = byId(listedC).get(a.ids[0]).writable_layer;
    // As du counts it: whole blocks.
    expect(Number(layer.used_bytes.value)).toBeGreaterThanOrEqual(5 * MiB + 3);
    expect(byId(listedC).get(a.ids[1]).memory.working_set_bytes.value).toBe(String(300 * 2 ** 30));
    expect(Number(byId(listedC).get(b.ids[0]).writable_layer.inodes_used.value)).toBeGreaterThanOrEqual(3);
    expect(byId(listedP).get(a.sandbox).linux.containers).toHaveLength(2);
    expect(byId(listedP).get(a.sandbox).linux.cpu.usage_nano_cores.value).toBe('3000000000');
    expect(listedP.map((x: any) => x.attributes.id).sort()).toEqual([a.sandbox, b.sandbox, stopped.sandbox].sort());
  });

  // The lists read the writable layer's live account in place (no copy): a
  // write shows in the very next answer.
  it('a write in a container shows in the next ListContainerStats and ListPodSandboxStats', async () => {
    h = await startHarness();
    await h.img('PullImage', { image: { image: 'busybox' } });
    const { sandbox, ids } = await start('p', ['c']);
    const used = async () => {
      const c = (await h.rt('ListContainerStats', {})).stats.find((s: any) => s.attributes.id === ids[0]);
      const p = (await h.rt('ListPodSandboxStats', {})).stats.find((s: any) => s.attributes.id === sandbox);
      return [Number(c.writable_layer.used_bytes.value), Number(p.linux.containers[0].writable_layer.used_bytes.value), Number(c.writable_layer.inodes_used.value)];
    };
    const [before, beforeInPod, inodes] = await used();
    expect(beforeInPod).toBe(before);
    await h.rt('ExecSync', { container_id: ids[0], cmd: ['sh', '-c', 'dd if=/dev/zero of=/big bs=4096 count=256 2>/dev/null'], timeout: 30 });
    const [after, afterInPod, inodesAfter] = await used();
    expect(after - before).toBeGreaterThanOrEqual(256 * 4096);
    expect(afterInPod).toBe(after);
    expect(inodesAfter).toBe(inodes + 1);
    await h.rt('ExecSync', { container_id: ids[0], cmd: ['rm', '/big'], timeout: 30 });
    expect((await used())[0]).toBe(before);
  });

  it('refuses a bad baseline in the config, naming the key', async () => {
    await expect(startHarness({ workloads: { cpu: 'lots' } })).rejects.toThrow(/key "workloads\.cpu": "lots" is not a CPU quantity/);
    await expect(startHarness({ workloads: { memory: '-1' } })).rejects.toThrow(/key "workloads\.memory"/);
    h = await startHarness();
  });
});
