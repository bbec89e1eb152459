import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { makeClient } from '../cri/client';
import { containerConfig, podConfig } from '../testing/kubelet-requests';
import { type FakecriCli, cpuMs, fmt, rssKiB, withServer } from './load';

// Loop pods for 80 s: whether what a round costs stays as it was
// while the pods' files add up (a memory layer's write-out once grew with
// the layer: 100 µs a round became 250 within 80 s). The containerfs is
// large enough that no dd meets a full disk.
const PODS = 1000;
const WINDOW_MS = 10_000;
const WINDOWS = 8; // at least 4: the first two and the last two are compared
const LOOP = 'i=0; while true; do dd if=/dev/urandom of=file${i} bs=1048576 count=1 2>/dev/null; sleep .1; i=$(($i+1)); done';

export async function longRunBench(dir: string, print: (s: string) => void, fakecriCli: FakecriCli): Promise<void> {
  const config = join(dir, 'long-run.toml');
  writeFileSync(config, '[filesystems.imagefs]\ncapacity = "1000Ti"\ninodes = 1000000000\n');
  await withServer(dir, 'long-run', fakecriCli, (sock, pid) => measureLongRun(sock, pid, print), ['--config', config]);
}

async function measureLongRun(sock: string, pid: number, print: (s: string) => void): Promise<void> {
  const rt = makeClient(sock, 'RuntimeService');
  const img = makeClient(sock, 'ImageService');
  await img.call('PullImage', { image: { image: 'busybox' } });
  const batch: Promise<unknown>[] = [];
  for (let i = 0; i < PODS; i++) {
    batch.push(
      (async () => {
        const cfg = podConfig(`long-${i}`);
        const s = (await rt.call('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
        const cc = { ...containerConfig('app', 'busybox', { podName: `long-${i}`, uid: cfg.metadata.uid }), command: ['sh', '-c', LOOP], args: [] };
        const c = (await rt.call('CreateContainer', { pod_sandbox_id: s, config: cc, sandbox_config: cfg })).container_id as string;
        await rt.call('StartContainer', { container_id: c });
      })(),
    );
    if (batch.length === 50) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  // A round writes one 1 MiB file: rounds from the bytes the layers grew by.
  const rounds = async () => ((await rt.call('ListContainerStats', {})).stats as { writable_layer: { used_bytes: { value: string } } }[]).reduce((s, x) => s + Number(x.writable_layer.used_bytes.value), 0) / 2 ** 20;
  const marks = [{ rounds: await rounds(), cpu: cpuMs(pid), at: Date.now() }];
  for (let w = 0; w < WINDOWS; w++) {
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    marks.push({ rounds: await rounds(), cpu: cpuMs(pid), at: Date.now() });
  }
  // CPU per round (µs) and rounds a second between two marks.
  const between = (a: number, b: number) => {
    const n = marks[b].rounds - marks[a].rounds;
    return { perRound: ((marks[b].cpu - marks[a].cpu) * 1000) / n, perSecond: (n * 1000) / (marks[b].at - marks[a].at) };
  };
  const windows = marks.slice(1).map((_, w) => between(w, w + 1));
  // Two windows each: one may hold a burst of layers folding their journals.
  const first = between(0, 2).perRound;
  const lastTwo = between(WINDOWS - 2, WINDOWS).perRound;
  const files = Math.round(marks[WINDOWS].rounds / PODS);
  print('');
  print(`${PODS} pods running a loop of 1 MiB dd and sleep .1 for ${(WINDOWS * WINDOW_MS) / 1000} s (memory backend, 1,000 TiB):`);
  print(`  CPU per round in each ${WINDOW_MS / 1000} s: ${windows.map((w) => `${fmt(w.perRound, 0)} us`).join(', ')} (rounds a second ${windows.map((w) => fmt(w.perSecond, 0)).join(', ')}; the pods ask for ${PODS * 10})`);
  print(`  the last 20 s against the first 20 s: ${fmt(lastTwo, 0)} against ${fmt(first, 0)} us a round, ${fmt(lastTwo / first, 2)}x; about ${files} files per pod by the end; fakecri RSS ${fmt(rssKiB(pid) / 1024, 0)} MiB (load average ${loadavg()[0].toFixed(2)})`);
  rt.close();
  img.close();
}
