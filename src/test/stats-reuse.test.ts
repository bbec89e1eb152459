import { BaseServerInterceptingCall } from '@grpc/grpc-js/build/src/server-interceptors';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../app';
import { containerStatsEntries, encodeContainerStats, encodePodSandboxStats, podSandboxStatsEntries } from '../cri/stats-encode';
import type { Container } from '../store/container';
import { type Harness, containerConfig, podConfig, startHarness, startPod } from './harness';

// ListContainerStats and ListPodSandboxStats build each answer from the
// last one: an entry whose figures moved only in its timestamp and CPU time
// is copied and patched (cri/stats-answer.ts). Here each such answer is
// compared, byte for byte, with the same answer written whole at the same
// moment (what the Stream* lists send, every entry written afresh), after
// each kind of change that must have an entry written again.
describe('stats lists built from the last answer', () => {
  let h: Harness;
  afterEach(() => h?.close());

  const start = (pod: string, names: string[], annotations: Record<string, string> = {}) => startPod(h, pod, names, annotations);

  const running = (app: App) => [...app.containers.store.values()].filter((c) => c.state === 'CONTAINER_RUNNING');
  const ready = (app: App) => [...app.sandboxes.store.values()].filter((s) => s.state === 'SANDBOX_READY');
  // A moment `ms` after the container started.
  const after = (c: Container, ms: number) => String(BigInt(c.startedAt) + BigInt(ms) * 1_000_000n);

  // Both lists at moment `ns`: as built from the last answers, and written
  // whole; they must be the same bytes.
  function check(app: App, ns: string, containers = running(app), sandboxes = ready(app)) {
    const listed = encodeContainerStats(app, containers, ns);
    expect(listed.equals(Buffer.concat([...containerStatsEntries(app, containers, ns)]))).toBe(true);
    const pods = encodePodSandboxStats(app, sandboxes, ns);
    expect(pods.equals(Buffer.concat([...podSandboxStatsEntries(app, sandboxes, ns)]))).toBe(true);
    return { listed, pods };
  }

  it('the same bytes as written whole: unchanged, after a layer write, a stop, a behaviour change, a new container', async () => {
    h = await startHarness({ workloads: { cpu: '1' } });
    const app = h.server.app;
    await h.img('PullImage', { image: { image: 'busybox' } });
    const a = await start('pa', ['a', 'b']);
    await start('pb', ['c'], { 'fakecri.io/behaviour.c': '{"cpu":"3","memory":"300Gi"}' });
    const c0 = app.containers.store.get(a.ids[0])!;

    const first = check(app, after(c0, 1000));
    // Only the timestamps and CPU times move: the same size.
    const second = check(app, after(c0, 1500));
    expect(second.listed.length).toBe(first.listed.length);
    expect(second.listed.equals(first.listed)).toBe(false);
    check(app, after(c0, 1500));

    // A file in a's writable layer: its record stays, its account grows.
    await h.rt('ExecSync', { container_id: a.ids[0], cmd: ['sh', '-c', 'echo hi > /f'], timeout: 10 });
    check(app, after(c0, 2000));
    // More bytes in the same file: the same inodes.
    await h.rt('ExecSync', { container_id: a.ids[0], cmd: ['sh', '-c', 'dd if=/dev/zero of=/f bs=4096 count=3 2>/dev/null'], timeout: 10 });
    check(app, after(c0, 2200));

    // A behaviour change starts b's figures again, from a new live entry.
    app.workloads.setOverride(a.ids[1], { cpu: 500_000_000, memory: 1000 });
    check(app, after(c0, 2500));

    // A stop drops b from both lists (and from its pod's sums).
    await h.rt('StopContainer', { container_id: a.ids[1], timeout: 0 });
    check(app, after(c0, 3000));

    // A new container in a pod that was listed.
    const cfg = podConfig('pa');
    const d = (await h.rt('CreateContainer', { pod_sandbox_id: a.sandbox, config: containerConfig('d', 'busybox'), sandbox_config: cfg })).container_id;
    await h.rt('StartContainer', { container_id: d });
    check(app, after(c0, 3500));
    check(app, after(c0, 4000));
  });

  it('a CPU time whose varint grows or shrinks has its entry written again', async () => {
    h = await startHarness({ workloads: { cpu: '1' } });
    const app = h.server.app;
    await h.img('PullImage', { image: { image: 'busybox' } });
    await start('p', ['c']);
    const c = running(app)[0];
    // One core: 100 ms of CPU time is 10^8 ns, a 4-byte varint; a second
    // is 10^9 ns, 5 bytes; at 0 there is no varint at all.
    check(app, after(c, 100));
    const grown = check(app, after(c, 1000));
    const back = check(app, after(c, 100));
    expect(grown.listed.length).toBe(back.listed.length + 1);
    check(app, after(c, 0));
    check(app, after(c, 200));
  });

  it('a filtered list between two whole ones', async () => {
    h = await startHarness();
    const app = h.server.app;
    await h.img('PullImage', { image: { image: 'busybox' } });
    await start('pa', ['a', 'b']);
    await start('pb', ['c']);
    const c0 = running(app)[0];
    check(app, after(c0, 1000));
    check(app, after(c0, 1100), running(app).slice(1), ready(app).slice(1));
    check(app, after(c0, 1200));
    // In another order.
    check(app, after(c0, 1300), running(app).reverse(), ready(app).reverse());
    check(app, after(c0, 1400));
  });

  // The memory of the answer before last is written again once gRPC has
  // serialized that answer (stats-answer.ts): safe only while grpc-js copies
  // an answer into a frame of its own as it serializes it.
  it('grpc-js copies an answer as it serializes it, and keeps nothing of it', () => {
    const answer = Buffer.from('an answer');
    const serializeMessage = (BaseServerInterceptingCall.prototype as unknown as { serializeMessage(v: unknown): Buffer }).serializeMessage;
    const frame = serializeMessage.call({ handler: { serialize: (v: Buffer) => v } }, answer);
    answer.fill(0);
    expect(frame.subarray(5).toString()).toBe('an answer');
  });

  it('answers over gRPC, one after another, each whole and right', async () => {
    h = await startHarness({ workloads: { cpu: '1' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
    const { ids } = await start('p', ['a', 'b', 'c']);
    for (let i = 0; i < 6; i++) {
      const listed = (await h.rt('ListContainerStats', {})).stats;
      const pods = (await h.rt('ListPodSandboxStats', {})).stats;
      expect(listed.map((s: any) => s.attributes.id).sort()).toEqual([...ids].sort());
      expect(pods[0].linux.containers).toHaveLength(3);
      // One moment per answer.
      const times = new Set([...listed, ...pods[0].linux.containers].flatMap((s: any) => [s.cpu.timestamp, s.memory.timestamp, s.writable_layer.timestamp]));
      expect(times.size).toBe(2);
    }
  });
});
