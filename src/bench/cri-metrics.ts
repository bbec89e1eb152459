import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { makeClient } from '../cri/client';
import { loadCriProto } from '../cri/proto';
import { containerConfig, podConfig } from '../testing/kubelet-requests';
import { type FakecriCli, fmt, measure, withServer } from './load';

// CRI metrics: ListPodSandboxMetrics beside ListPodSandboxStats (the same
// figures, the same moment), the answer's size, and StreamPodSandboxMetrics'
// time to its first batch and to its end.

export async function criMetricsBench(dir: string, print: (s: string) => void, fakecriCli: FakecriCli): Promise<void> {
  await withServer(dir, 'metrics', fakecriCli, (sock) => measureMetrics(sock, print));
}

async function measureMetrics(sock: string, print: (s: string) => void): Promise<void> {
  const setup = makeClient(sock, 'RuntimeService');
  const raw = makeClient(sock, 'RuntimeService', { raw: true });
  const img = makeClient(sock, 'ImageService');
  await img.call('PullImage', { image: { image: 'busybox' } });
  print('');
  print('CRI metrics (one caller; the client does not decode unary answers)');
  print('pods  containers  ListPodSandboxStats p50 ms  ListPodSandboxMetrics p50 ms  answer KiB  Stream first batch ms  Stream all ms  batches');
  let pods = 0;
  let containers = 0;
  for (const [wantPods, perPod] of [
    [100, 1],
    [1000, 1],
  ]) {
    while (pods < wantPods) {
      const batch: Promise<void>[] = [];
      for (let i = 0; i < 32 && pods < wantPods; i++, pods++) {
        const name = `m${pods}`;
        const cfg = podConfig(name);
        batch.push(
          (async () => {
            const sandbox = (await setup.call('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
            for (let c = 0; c < perPod; c++) {
              const cc = { ...containerConfig(`c${c}`, 'busybox', { podName: name, uid: cfg.metadata.uid }), command: ['sleep', '36000'], args: [] };
              const id = (await setup.call('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id;
              await setup.call('StartContainer', { container_id: id });
              containers++;
            }
          })(),
        );
      }
      await Promise.all(batch);
    }
    // Fewer calls (and warm-up calls) where each takes long.
    const maxCalls = pods > 100 ? 20 : 200;
    const stats = await measure(() => raw.call('ListPodSandboxStats', {}), { callers: 1, maxCalls, maxMs: 3000 });
    const metrics = await measure(() => raw.call('ListPodSandboxMetrics', {}), { callers: 1, maxCalls, maxMs: 3000 });
    const bytes = ((await raw.call('ListPodSandboxMetrics', {})) as Buffer).length;
    const stream = await streamOnce(sock);
    print(
      `${String(pods).padStart(4)}  ${String(containers).padStart(10)}  ${fmt(stats.p50, 1).padStart(26)}  ${fmt(metrics.p50, 1).padStart(28)}  ${fmt(bytes / 1024, 0).padStart(10)}  ${fmt(stream.firstMs, 1).padStart(21)}  ${fmt(stream.allMs, 1).padStart(13)}  ${String(stream.batches).padStart(7)}`,
    );
  }
  setup.close();
  raw.close();
  img.close();
}

function streamOnce(sock: string): Promise<{ firstMs: number; allMs: number; batches: number }> {
  const Ctor = loadCriProto().runtime.v1.RuntimeService as unknown as grpc.ServiceClientConstructor;
  const client = new Ctor(`unix://${sock}`, grpc.credentials.createInsecure()) as unknown as {
    StreamPodSandboxMetrics(req: object): grpc.ClientReadableStream<unknown>;
    close(): void;
  };
  const t = performance.now();
  let first = 0;
  let batches = 0;
  return new Promise((resolve, reject) => {
    const s = client.StreamPodSandboxMetrics({});
    s.on('data', () => {
      if (!batches++) first = performance.now() - t;
    });
    s.on('error', (e) => {
      client.close();
      reject(e);
    });
    s.on('end', () => {
      client.close();
      resolve({ firstMs: first, allMs: performance.now() - t, batches });
    });
  });
}
