import { performance } from 'node:perf_hooks';
import { makeClient } from '../cri/client';
import { containerConfig, podConfig } from '../testing/kubelet-requests';
import { type FakecriCli, fmt, measure, rssKiB, withServer } from './load';

// The Stream* lists (cri-api v0.36) beside ListContainers, on one server
// with 10,000 then 100,000 containers in 1,000 pods (created, not started:
// the lists do not care, and 100,000 running programs would measure
// something else).
const PODS = 1000;

export async function listsBench(dir: string, print: (s: string) => void, fakecriCli: FakecriCli): Promise<void> {
  await withServer(dir, 'lists', fakecriCli, (sock, pid) => measureLists(sock, pid, print));
}

async function measureLists(sock: string, pid: number, print: (s: string) => void): Promise<void> {
  const setup = makeClient(sock, 'RuntimeService');
  const raw = makeClient(sock, 'RuntimeService', { raw: true });
  await makeClient(sock, 'ImageService').call('PullImage', { image: { image: 'busybox' } });
  const sandboxes: string[] = [];
  let containers = 0;
  const populate = async (want: number) => {
    const pods = PODS;
    while (sandboxes.length < pods) {
      const n = sandboxes.length;
      const batch = Array.from({ length: pods - n }, (_, i) =>
        setup.call('RunPodSandbox', { config: podConfig(`pod-${n + i}`) }).then((r) => r.pod_sandbox_id as string),
      );
      sandboxes.push(...(await Promise.all(batch)));
    }
    while (containers < want) {
      const n = containers;
      const step = Math.min(500, want - n);
      await Promise.all(
        Array.from({ length: step }, (_, i) => {
          const k = n + i;
          const pod = k % sandboxes.length;
          return setup.call('CreateContainer', {
            pod_sandbox_id: sandboxes[pod],
            config: containerConfig(`c${k}`, 'busybox', { podName: `pod-${pod}`, uid: `uid-pod-${pod}` }),
            sandbox_config: podConfig(`pod-${pod}`),
          });
        }),
      );
      containers += step;
    }
  };

  // Until the first batch comes; then the stream is cancelled, so that
  // these runs leave little garbage behind to be collected in the next.
  const firstBatch = () =>
    new Promise<number>((resolve, reject) => {
      const t = performance.now();
      const s = raw.stream('StreamContainers', {});
      s.on('error', (e: { code: number }) => (e.code === 1 ? undefined : reject(e)));
      s.once('data', () => {
        resolve(performance.now() - t);
        s.cancel();
      });
    });
  // One stream read to its end.
  const wholeList = () =>
    new Promise<{ total: number; messages: number; bytes: number }>((resolve, reject) => {
      const t = performance.now();
      let messages = 0;
      let bytes = 0;
      const s = raw.stream('StreamContainers', {});
      s.on('data', (m: Buffer) => {
        messages++;
        bytes += m.length;
      });
      s.on('error', reject);
      s.on('end', () => resolve({ total: performance.now() - t, messages, bytes }));
    });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  print('');
  print('Lists: StreamContainers (cri-api v0.36) beside ListContainers, one caller; first batch: median of 15 streams cancelled after it; whole list: median of 7');
  print('containers   RPC               first batch ms   whole list ms   containers/s   messages   MiB     server RSS MiB');
  for (const n of [10_000, 100_000]) {
    const t = Date.now();
    await populate(n);
    process.stderr.write(`(populated ${n} containers in ${Date.now() - t} ms)\n`);
    if (n === 10_000) {
      const list = await measure(() => raw.call('ListContainers', {}), { callers: 1, maxCalls: 7, maxMs: 60_000 });
      print(`${String(n).padStart(10)}   ${'ListContainers'.padEnd(16)}  ${'—'.padStart(14)}   ${fmt(list.p50, 1).padStart(13)}   ${fmt((n / list.p50) * 1000, 0).padStart(12)}`);
    } else {
      const err = await raw.call('ListContainers', {}).then(() => 'answered', (e: { code: number; details: string }) => `code ${e.code}: ${e.details}`);
      print(`${String(n).padStart(10)}   ${'ListContainers'.padEnd(16)}  ${err}`);
    }
    const firsts: number[] = [];
    for (let i = 0; i < 16; i++) firsts.push(await firstBatch());
    firsts.shift(); // warm-up
    const runs = [];
    for (let i = 0; i < 8; i++) runs.push(await wholeList());
    runs.shift();
    const first = median(firsts);
    const total = median(runs.map((r) => r.total));
    print(
      `${String(n).padStart(10)}   ${'StreamContainers'.padEnd(16)}  ${fmt(first, 1).padStart(14)}   ${fmt(total, 1).padStart(13)}   ${fmt((n / total) * 1000, 0).padStart(12)}   ${String(runs[0].messages).padStart(8)}   ${fmt(runs[0].bytes / 2 ** 20, 1).padStart(5)}   ${fmt(rssKiB(pid) / 1024, 0).padStart(8)}`,
    );
  }
  setup.close();
  raw.close();
}
