import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeClient } from '../cri/client';
import { numberedSocket } from '../serve/nodes';
import { type FakecriCli, rssKiB, stopChild } from './load';

// `serve --nodes N`: what one more runtime costs a process, with no pods.
// Each node gets one CRI connection and a Status, Version and ListPodSandbox
// (what a kubelet's start does), then the RSS is sampled a few times and the
// median taken; no GC is forced.
export async function nodesBench(dir: string, print: (s: string) => void, fakecriCli: FakecriCli): Promise<void> {
  const counts = [1, 11, 21];
  const rss: number[] = [];
  for (const n of counts) {
    const socket = join(dir, `nodes-${n}.sock`);
    const args = ['serve', '--socket', socket, '--state-dir', join(dir, `nodes-${n}`), '--log-level', 'info'];
    const child = await fakecriCli(n > 1 ? [...args, '--nodes', String(n)] : args, n > 1 ? 'fakecri serving nodes' : 'fakecri serving');
    const clients = Array.from({ length: n }, (_, i) => makeClient(n > 1 ? numberedSocket(socket, i + 1) : socket, 'RuntimeService'));
    try {
      for (const c of clients) {
        await c.call('Version', {});
        await c.call('Status', {});
        await c.call('ListPodSandbox', {});
      }
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        await sleep(400);
        samples.push(rssKiB(child.pid!));
      }
      samples.sort((a, b) => a - b);
      rss.push(samples[2]);
    } finally {
      for (const c of clients) c.close();
      await stopChild(child);
    }
  }
  print('serve --nodes N: RSS of the process with no pods, each node with one CRI connection (median of 5 samples, no forced GC)');
  for (const [i, n] of counts.entries()) print(`  --nodes ${String(n).padStart(2)}  RSS ${(rss[i] / 1024).toFixed(1)} MiB`);
  const last = counts.length - 1;
  print(`  RSS per extra node: ${((rss[last] - rss[0]) / (counts[last] - 1) / 1024).toFixed(2)} MiB (target <= 8 MiB; 1-node baseline ${(rss[0] / 1024).toFixed(1)} MiB)`);
}
