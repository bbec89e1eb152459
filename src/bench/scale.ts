import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { makeClient } from '../cri/client';
import { LOADER_OPTIONS, PROTO_FILE } from '../cri/proto';
import { containerConfig, podConfig } from '../testing/kubelet-requests';
import { type FakecriCli, cpuMs, fmt, measure, rssKiB, stopChild } from './load';
import * as protoLoader from '@grpc/proto-loader';


// Issue 17's figures: what the kubelet's stats and relist calls cost on a
// node with 1,000 pods, and what a pod costs in memory. One fakecri per
// population (memory backend), one caller, answers not decoded; beside each,
// the plain grpc-js baseline's Version from the same moment.
export async function scaleBench(dir: string, print: (s: string) => void, cli: FakecriCli, baseVersion: () => Promise<number>): Promise<void> {
  print('');
  print('Scale: 1,000 pods with 1 and with 10 containers each (busybox `sleep infinity`), memory backend, one caller');
  print('RPC                   containers  p50 ms   p99 ms   server CPU ms/call   answer KiB   baseline Version p50 ms');
  const rss: Record<number, { before: number; after: number; more?: number }> = {};
  const results: Record<string, number> = {};
  for (const perPod of [1, 10]) {
    const sock = join(dir, `scale-${perPod}.sock`);
    const fakecri = await cli(['serve', '--socket', sock, '--state-dir', join(dir, `scale-${perPod}-state`), '--log-level', 'info'], 'fakecri serving');
    const rt = makeClient(sock, 'RuntimeService', { raw: true });
    const setup = makeClient(sock, 'RuntimeService');
    const img = makeClient(sock, 'ImageService');
    await img.call('PullImage', { image: { image: 'busybox' } });
    // Every path warmed once, so that compiled code does not count as pods.
    await populate(setup, 'warm', 20, 1);
    for (const s of (await setup.call('ListPodSandbox', {})).items as { id: string }[]) await setup.call('RemovePodSandbox', { pod_sandbox_id: s.id });
    await settle();
    const before = rssKiB(fakecri.pid!);
    const t = Date.now();
    await populate(setup, 'pod', 1000, perPod);
    process.stderr.write(`(populated 1,000 pods with ${perPod * 1000} containers in ${Date.now() - t} ms)\n`);
    await settle();
    rss[perPod] = { before, after: rssKiB(fakecri.pid!) };
    if (perPod === 1) {
      // A second thousand: what a pod costs once V8's one-time growth (its
      // young generation sized to the allocation rate, compiled code) is
      // behind. They go again before the lists are timed.
      await populate(setup, 'more', 1000, perPod);
      await settle();
      rss[perPod].more = rssKiB(fakecri.pid!);
      for (const s of (await setup.call('ListPodSandbox', {})).items as { id: string; metadata: { name: string } }[]) {
        if (s.metadata.name.startsWith('more-')) await setup.call('RemovePodSandbox', { pod_sandbox_id: s.id });
      }
    }

    const n = perPod * 1000;
    const cases: [string, () => Promise<unknown>][] = [
      ['ListContainerStats', () => rt.call('ListContainerStats', {})],
      ['ListPodSandboxStats', () => rt.call('ListPodSandboxStats', {})],
      ['ListContainers', () => rt.call('ListContainers', {})],
      ['ListPodSandbox', () => rt.call('ListPodSandbox', {})],
    ];
    for (const [name, fn] of cases) {
      const base = await baseVersion();
      const bytes = ((await fn()) as Buffer).length;
      const cpu0 = cpuMs(fakecri.pid!);
      const r = await measure(fn, { callers: 1, maxCalls: 200, maxMs: 4000 });
      // The warm-up calls count too: measure() makes min(50, maxCalls) first.
      const cpu = (cpuMs(fakecri.pid!) - cpu0) / (r.calls + 50);
      results[`${name}@${n}`] = r.p50;
      results[`${name}@${n}/cpu`] = cpu;
      print(`${name.padEnd(22)}${String(n).padStart(10)}  ${fmt(r.p50, 2).padStart(7)}  ${fmt(r.p99, 2).padStart(7)}  ${fmt(cpu, 1).padStart(12)}  ${fmt(bytes / 1024, 0).padStart(11)}   ${fmt(base, 3).padStart(12)}`);
    }
    if (perPod === 10) {
      // What main answered with before the stats were encoded in bulk: the
      // same answer as objects through proto-loader, timed here.
      const def = (protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS)['runtime.v1.RuntimeService'] as protoLoader.ServiceDefinition).ListContainerStats;
      const answer = def.responseDeserialize((await rt.call('ListContainerStats', {})) as Buffer);
      const enc = await measure(async () => def.responseSerialize(answer), { callers: 1, maxCalls: 20, maxMs: 4000 });
      results.oldEncode = enc.p50;
      print(`  for comparison, proto-loader encoding the ListContainerStats answer from objects (as main did), in this process: p50 ${fmt(enc.p50, 1)} ms`);
    }
    rt.close();
    setup.close();
    img.close();
    await stopChild(fakecri);
  }
  print('');
  print('RSS per pod: plain RSS growth of fakecri serve from before the pods to after (no forced GC), over 1,000 pods');
  for (const perPod of [1, 10]) {
    const r = rss[perPod];
    print(`  ${String(perPod).padStart(2)} container(s) per pod: ${r.before} KiB before, ${r.after} KiB after: ${fmt((r.after - r.before) / 1000, 1)} KiB per pod`);
  }
  const more = rss[1].more!;
  const perPod1 = (more - rss[1].after) / 1000;
  print(`   1 container per pod, the next 1,000 pods (2,000 in all): ${more} KiB after: ${fmt(perPod1, 1)} KiB per pod`);
  print('');
  print('Targets (issue 17):');
  for (const name of ['ListContainerStats', 'ListPodSandboxStats']) {
    const p50 = results[`${name}@10000`];
    print(`  ${name} over 10,000 containers under 50 ms p50: ${fmt(p50, 1)} ms  (${p50 < 50 ? 'met' : 'NOT met'}); the server's CPU time per call ${fmt(results[`${name}@10000/cpu`], 1)} ms`);
  }
  print(`  RSS per one-container pod at most 10 KiB (the second thousand): ${fmt(perPod1, 1)} KiB  (${perPod1 <= 10 ? 'met' : 'NOT met'}); the first thousand from an empty server ${fmt((rss[1].after - rss[1].before) / 1000, 1)} KiB`);
}

// Lets what the population left (writes, timers) finish; no forced GC.
const settle = () => new Promise((r) => setTimeout(r, 2000));

async function populate(setup: ReturnType<typeof makeClient>, prefix: string, pods: number, perPod: number): Promise<void> {
  const one = async (i: number) => {
    const name = `${prefix}-${i}`;
    const cfg = podConfig(name);
    const s = (await setup.call('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
    for (let j = 0; j < perPod; j++) {
      const c = (await setup.call('CreateContainer', { pod_sandbox_id: s, config: containerConfig(`c${j}`, 'busybox', { podName: name, uid: cfg.metadata.uid }), sandbox_config: cfg }))
        .container_id as string;
      await setup.call('StartContainer', { container_id: c });
    }
  };
  for (let i = 0; i < pods; i += 32) await Promise.all(Array.from({ length: Math.min(32, pods - i) }, (_, k) => one(i + k)));
}
