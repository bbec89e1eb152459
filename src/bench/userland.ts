import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { makeClient } from '../cri/client';
import { containerConfig, podConfig } from '../testing/kubelet-requests';
import { type FakecriCli, cpuMs, fmt, measure, minorFaults, onLinesAfter, paced, stopChild } from './load';
import { LOOP_ROUNDS as ROUNDS, upstreamLoop as LOOP } from './upstream-loop';

// What server-pauses.ts writes before its JSON.
const PAUSES = 'fakecri-bench pauses ';

// The server's pauses over a window (server-pauses.ts): event-loop delay
// and GC, in ms.
interface Pauses {
  p50: number;
  p99: number;
  max: number;
  gc: { scavenges: number; scavengeMs: number; scavengeP50: number; scavengeP90: number; scavengeMax: number; others: number; othersMax: number };
  // Version calls as the server saw them (stream opened to closed), in ms.
  version: { calls: number; p50: number; p99: number };
}

// The inside of containers: what a running program costs, and whether
// fakecri keeps answering while a thousand of them run.
export async function userlandBench(
  dir: string,
  print: (s: string) => void,
  fakecriCli: FakecriCli,
): Promise<void> {
  print('');
  print('Userland: memory per pod after GC (1,000 pods, memory backend), beside pods that were created and never started');
  const probe = (mode: string) =>
    JSON.parse(execFileSync(process.execPath, ['--expose-gc', join(__dirname, 'memory-probe.js'), '1000', mode], { encoding: 'utf8', maxBuffer: 1 << 20 })) as {
      rssKiB: number;
      heapKiB: number;
      pods: number;
      parses: number;
    };
  const created = probe('created');
  const perPod = (p: { rssKiB: number; pods: number }) => p.rssKiB / p.pods;
  print(`  created, not started (baseline)      ${fmt(perPod(created), 1).padStart(7)} KiB RSS, ${fmt(created.heapKiB / created.pods, 1)} KiB heap`);
  const figures: Record<string, number> = {};
  for (const [mode, label] of [
    ['pause', 'the pause image'],
    ['sleep', 'busybox sleep infinity'],
    ['server', "an unknown image's server"],
    ['nginx', 'nginx, a server fakecri emulates'],
    ['loop', "upstream's loop, between rounds"],
  ] as const) {
    const p = probe(mode);
    figures[mode] = perPod(p) - perPod(created);
    print(`  ${label.padEnd(37)}${fmt(perPod(p), 1).padStart(7)} KiB RSS, ${fmt(p.heapKiB / p.pods, 1)} KiB heap; ${fmt(figures[mode], 1)} KiB over the baseline${mode === 'loop' ? `; the script parsed ${p.parses} time(s) for 1,000 pods` : ''}`);
  }

  const sock = join(dir, 'userland.sock');
  // Room for every round the pods write (200 GiB): the default 100 GiB
  // would fill, and a full disk's rounds write nothing to count.
  const config = join(dir, 'userland.toml');
  writeFileSync(config, '[filesystems.imagefs]\ncapacity = "1Ti"\n');
  const fakecri = await fakecriCli(
    ['serve', '--config', config, '--socket', sock, '--state-dir', join(dir, 'userland-state'), '--log-level', 'info'],
    'fakecri serving',
    ['-r', join(__dirname, 'server-pauses.js')],
  );
  // The server's pauses (server-pauses.ts) over what happened since the
  // last ask.
  const asked: ((p: Pauses) => void)[] = [];
  onLinesAfter(fakecri.stderr!, PAUSES, (json) => asked.shift()?.(JSON.parse(json) as Pauses));
  const pauses = (): Promise<Pauses> =>
    new Promise((resolve) => {
      asked.push(resolve);
      fakecri.kill('SIGUSR2');
    });
  const pid = fakecri.pid!;
  const rt = makeClient(sock, 'RuntimeService', { raw: true });
  const setup = makeClient(sock, 'RuntimeService');
  const img = makeClient(sock, 'ImageService');
  await img.call('PullImage', { image: { image: 'busybox' } });

  const start = async (name: string, script: string): Promise<string> => {
    const cfg = podConfig(name);
    const s = (await setup.call('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
    const cc = { ...containerConfig('app', 'busybox', { podName: name, uid: cfg.metadata.uid }), command: ['sh', '-c', script], args: [] };
    const c = (await setup.call('CreateContainer', { pod_sandbox_id: s, config: cc, sandbox_config: cfg })).container_id as string;
    await setup.call('StartContainer', { container_id: c });
    return c;
  };

  // ExecSync `echo hi` against Version, same server, same moment.
  const target = await start('exec-target', 'sleep 3600');
  const version = await measure(() => rt.call('Version'), { callers: 1, maxCalls: 3000, maxMs: 3000 });
  const echo = await measure(() => rt.call('ExecSync', { container_id: target, cmd: ['echo', 'hi'], timeout: 10 }), { callers: 1, maxCalls: 3000, maxMs: 3000 });
  print('');
  print(`ExecSync echo hi, one caller: p50 ${fmt(echo.p50)} ms, p99 ${fmt(echo.p99)} ms; Version p50 ${fmt(version.p50)} ms: ${fmt(echo.p50 / version.p50, 2)}x  (target 2x: ${echo.p50 <= 2 * version.p50 ? 'met' : 'NOT met'})`);

  // 1,000 pods running upstream's loop (a round of 1 MiB every 0.1 s), and
  // the RPC latency meanwhile.
  await pauses();
  const idleFaults = { n: minorFaults(pid), at: Date.now() };
  const idle = await measure(() => rt.call('Version'), { callers: 4, maxCalls: 4000, maxMs: 3000 });
  const idlePauses = await pauses();
  const idleFaultRate = ((minorFaults(pid) - idleFaults.n) * 1000) / (Date.now() - idleFaults.at);
  const PACE = { callers: 4, everyMs: 10, ms: 4000 };
  const idlePaced = await paced(() => rt.call('Version'), PACE);
  const idleList = await measure(() => rt.call('ListContainers', {}), { callers: 1, maxCalls: 300, maxMs: 3000 });
  const t = Date.now();
  const batch: Promise<string>[] = [];
  for (let i = 0; i < 1000; i++) {
    batch.push(start(`loop-${i}`, LOOP(ROUNDS)));
    if (batch.length === 50) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  const started = Date.now() - t;
  const writtenNow = async () =>
    ((await setup.call('ListContainerStats', {})).stats as { writable_layer: { used_bytes: { value: string } } }[]).reduce((s, x) => s + Number(x.writable_layer.used_bytes.value), 0);
  const before = { written: await writtenNow(), cpu: cpuMs(pid), faults: minorFaults(pid), at: Date.now() };
  await pauses();
  // The bench's own event loop meanwhile: a latency is the client's as well
  // as the server's, and on a small machine the client waits for a CPU too.
  const client = monitorEventLoopDelay({ resolution: 1 });
  client.enable();
  const busy = await measure(() => rt.call('Version'), { callers: 4, maxCalls: 20_000, maxMs: 4000 });
  const busyPauses = await pauses();
  const busyPaced = await paced(() => rt.call('Version'), PACE);
  const pacedPauses = await pauses();
  client.disable();
  const cpu = cpuMs(pid) - before.cpu;
  const faultRate = ((minorFaults(pid) - before.faults) * 1000) / (Date.now() - before.at);
  const seconds = (Date.now() - before.at) / 1000;
  const written = await writtenNow();
  // A round writes one 1 MiB file: rounds from the bytes the layers grew by.
  const rounds = (written - before.written) / 2 ** 20;
  const busyList = await measure(() => rt.call('ListContainers', {}), { callers: 1, maxCalls: 300, maxMs: 3000 });
  print('');
  print(`1,000 pods running upstream's loop (started in ${fmt(started / 1000, 1)} s; ${fmt(written / 2 ** 30, 2)} GiB written to their layers by the end of the measurement, of the ${fmt((1000 * ROUNDS) / 1024, 1)} GiB their rounds write in all):`);
  print(`  Version, 4 callers each calling as soon as it is answered: p50 ${fmt(busy.p50)} ms, p99 ${fmt(busy.p99)} ms; with no pods p50 ${fmt(idle.p50)} ms, p99 ${fmt(idle.p99)} ms  (target p99 < 10 ms: ${busy.p99 < 10 ? 'met' : 'NOT met'})`);
  print(`  Version, 4 callers each calling every 10 ms: p50 ${fmt(busyPaced.p50)} ms, p99 ${fmt(busyPaced.p99)} ms; with no pods p50 ${fmt(idlePaced.p50)} ms, p99 ${fmt(idlePaced.p99)} ms  (target p99 < 10 ms: ${busyPaced.p99 < 10 ? 'met' : 'NOT met'})`);
  const seen = (d: Pauses) => `p50 ${fmt(d.version.p50, 2)} ms, p99 ${fmt(d.version.p99, 2)} ms`;
  print(`  the same calls as the server saw them (stream opened to closed): saturating ${seen(busyPauses)}, every 10 ms ${seen(pacedPauses)}; with no pods, saturating ${seen(idlePauses)}`);
  print(`  the server's event-loop delay meanwhile: p50 ${fmt(busyPauses.p50, 2)} ms, p99 ${fmt(busyPauses.p99, 2)} ms, max ${fmt(busyPauses.max, 2)} ms; with no pods p99 ${fmt(idlePauses.p99, 2)} ms, max ${fmt(idlePauses.max, 2)} ms`);
  print(`  the bench client's own event-loop delay while it called: p99 ${fmt(client.percentile(99) / 1e6, 2)} ms, max ${fmt(client.max / 1e6, 2)} ms`);
  const gc = (d: Pauses, secs: number) =>
    `${d.gc.scavenges} scavenges (${fmt(d.gc.scavengeMs / secs / 10, 0)}% of the time), pause p50 ${fmt(d.gc.scavengeP50, 1)}, p90 ${fmt(d.gc.scavengeP90, 1)}, max ${fmt(d.gc.scavengeMax, 1)} ms; ${d.gc.others} other GC pauses, max ${fmt(d.gc.othersMax, 1)} ms`;
  print(`  the server's GC while the 4 callers saturated it: ${gc(busyPauses, busy.calls / busy.perSecond)}; with no pods ${gc(idlePauses, idle.calls / idle.perSecond)}`);
  print(`  the server's GC while they called every 10 ms: ${gc(pacedPauses, PACE.ms / 1000)}`);
  print(`  the server's minor page faults: ${fmt(faultRate, 0)} a second while the pods ran, ${fmt(idleFaultRate, 0)} a second with no pods`);
  print(`  rounds of the loop: ${fmt(rounds / seconds, 0)} a second (the pods ask for 10,000); the server's CPU ${fmt(cpu / seconds / 10, 0)}% of a core, ${fmt((cpu * 1000) / rounds, 0)} us per round (load average ${loadavg()[0].toFixed(2)})`);
  print(`  ListContainers, one caller: p50 ${fmt(busyList.p50)} ms, p99 ${fmt(busyList.p99)} ms; with no pods p50 ${fmt(idleList.p50)} ms, p99 ${fmt(idleList.p99)} ms`);
  print('');
  print('Targets:');
  print(`  a running shell pod <= 64 KiB: ${fmt(figures.loop, 1)} KiB  (${figures.loop <= 64 ? 'met' : 'NOT met'})`);
  for (const mode of ['pause', 'sleep', 'server']) print(`  a ${mode} pod <= 10 KiB: ${fmt(figures[mode], 1)} KiB over a created one  (${figures[mode] <= 10 ? 'met' : 'NOT met'})`);

  rt.close();
  setup.close();
  img.close();
  await stopChild(fakecri);
}
