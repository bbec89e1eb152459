import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { App } from '../app';
import { parseConfig } from '../config/config';
import { containerConfig, podConfig } from '../testing/kubelet-requests';
import { parseStats } from '../workloads/shell/cache';
import { inProcessCri } from './in-process';
import { upstreamLoop } from './upstream-loop';

// Run with --expose-gc: the memory a pod's state costs once garbage is
// collected, the requests made in process (in-process.ts).
declare const gc: () => void;

const pods = Number(process.argv[2] ?? 1000);
// What each pod's container runs:
//   created  created, never started: the state alone
//   sleep    busybox `sleep infinity` (the default test container)
//   pause    the pause image's own program
//   server   an image's program fakecri knows nothing of
//   nginx    nginx with its entrypoint, a server fakecri emulates
//   loop     upstream's eviction loop, measured once every pod is in its
//            `while true; do sleep 5; done`
const mode = (process.argv[3] ?? 'sleep') as 'created' | 'sleep' | 'pause' | 'server' | 'nginx' | 'loop';
const IMAGE = { pause: 'registry.k8s.io/pause:3.10', server: 'example.com/server:1', nginx: 'nginx:1.25' } as Record<string, string>;
const LOOP = upstreamLoop(3);
const dir = mkdtempSync(join(tmpdir(), 'fakecri-memprobe-'));
const settle = () => {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage();
};

const SERVER = { match: 'example.com/server:*', entrypoint: ['/app/server'], userland: 'opaque' };
const app = new App(parseConfig({ images: { catalog: [SERVER] } }), join(dir, 'state'), pino({ level: 'silent' }));
const call = inProcessCri(app);

async function main() {
const image = IMAGE[mode] ?? 'busybox';
await call('PullImage', { image: { image } });
const config = (name: string, uid: string) => {
  const c = containerConfig('app', image, { podName: name, uid });
  if (image !== 'busybox') return { ...c, command: [], args: [] };
  if (mode === 'loop') return { ...c, command: ['sh', '-c', LOOP], args: [] };
  return c;
};
// Warm every code path once so that compiled code does not count as state.
for (let i = 0; i < 50; i++) {
  const s = (await call('RunPodSandbox', { config: podConfig(`warm-${i}`) })).pod_sandbox_id!;
  await call('RemovePodSandbox', { pod_sandbox_id: s });
}
const before = settle();
for (let i = 0; i < pods; i++) {
  const cfg = podConfig(`pod-${i}`);
  const s = (await call('RunPodSandbox', { config: cfg })).pod_sandbox_id!;
  const c = (await call('CreateContainer', { pod_sandbox_id: s, config: config(`pod-${i}`, cfg.metadata.uid), sandbox_config: cfg })).container_id!;
  if (mode !== 'created') await call('StartContainer', { container_id: c });
}
if (mode === 'loop') {
  // Every pod past its three files, sleeping in its last loop.
  const done = () => [...app.containers.store.values()].every((c) => app.rootfs.usage(c.id).bytes >= 3 * 1024 * 1024);
  while (!done()) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
}
const after = settle();
process.stdout.write(
  `${JSON.stringify({ pods, mode, rssKiB: (after.rss - before.rss) / 1024, heapKiB: (after.heapUsed - before.heapUsed) / 1024, parses: parseStats().parses })}\n`,
);
app.stop();
rmSync(dir, { recursive: true, force: true });
}

main();
