import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pino from 'pino';
import { App } from '../app';
import { parseConfig } from '../config/config';
import { containerConfig, podConfig } from '../testing/kubelet-requests';
import { inProcessCri } from './in-process';
import { LOOP_ROUNDS, upstreamLoop } from './upstream-loop';

// Loaded into a fakecri server by the bench (`node -r`, worker-split.ts):
// FAKECRI_BENCH_PODS of upstream's loop pods run with an App of their own,
// in a worker thread of the server's process (FAKECRI_BENCH_PODS_IN=worker,
// a heap of their own) or on its main thread (main), while the server's App
// has no pods and serves the RPCs. What the containers' userland on a thread
// of its own would give the RPCs, without building it. It says on stderr,
// after `fakecri-bench pods `, when the pods have started and, every second,
// how many rounds they have done.
const pods = Number(process.env.FAKECRI_BENCH_PODS ?? 0);
const say = (m: string) => process.stderr.write(`fakecri-bench pods ${m}\n`);

if (isMainThread && pods > 0) {
  const o = { pods, stateDir: process.env.FAKECRI_BENCH_PODS_STATE ?? '' };
  if (process.env.FAKECRI_BENCH_PODS_IN === 'main') {
    void runPods(o, say);
  } else {
    // No -r in the worker: it would load this file a second time there.
    const worker = new Worker(__filename, { execArgv: [], workerData: o });
    worker.on('message', say);
    worker.on('error', (err) => say(`failed: ${err.message}`));
    worker.unref();
  }
} else if (!isMainThread) {
  void runPods(workerData as { pods: number; stateDir: string }, (m) => parentPort!.postMessage(m));
}

async function runPods(o: { pods: number; stateDir: string }, tell: (m: string) => void): Promise<void> {
  // Room for every round (200 GiB), as in the userland section.
  const app = new App(parseConfig({ filesystems: { imagefs: { capacity: '1Ti' } } }), o.stateDir, pino({ level: 'silent' }));
  const call = inProcessCri(app);
  await call('PullImage', { image: { image: 'busybox' } });
  for (let i = 0; i < o.pods; i++) {
    const cfg = podConfig(`loop-${i}`);
    const sandbox = (await call('RunPodSandbox', { config: cfg })).pod_sandbox_id!;
    const config = { ...containerConfig('app', 'busybox', { podName: `loop-${i}`, uid: cfg.metadata.uid }), command: ['sh', '-c', upstreamLoop(LOOP_ROUNDS)], args: [] };
    const c = (await call('CreateContainer', { pod_sandbox_id: sandbox, config, sandbox_config: cfg })).container_id!;
    await call('StartContainer', { container_id: c });
  }
  tell('started');
  // A round writes one 1 MiB file.
  const rounds = () => [...app.containers.store.values()].reduce((n, c) => n + app.rootfs.usage(c.id).bytes, 0) / 2 ** 20;
  setInterval(() => tell(`rounds ${rounds()}`), 1000).unref();
}
