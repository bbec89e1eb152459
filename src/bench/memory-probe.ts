import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import pino from 'pino';
import { App } from '../app';
import { parseConfig } from '../config/config';
import { LOADER_OPTIONS, PROTO_FILE } from '../cri/proto';
import { RUNTIME_HANDLERS, IMAGE_HANDLERS } from '../cri/services';
import { containerConfig, podConfig } from '../testing/kubelet-requests';

// Run with --expose-gc: the memory a pod's state costs once garbage is
// collected. The requests go through the same decoding and the same handlers
// as over the socket, so the stored records are the real ones.
declare const gc: () => void;

const pods = Number(process.argv[2] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'fakecri-memprobe-'));
const definition = protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
const decoded = (service: string, method: string, request: object) => {
  const def = (definition[`runtime.v1.${service}`] as protoLoader.ServiceDefinition)[method];
  return def.requestDeserialize(def.requestSerialize(request));
};
const call = async (method: string, request: object) => {
  const service = method in RUNTIME_HANDLERS ? 'RuntimeService' : 'ImageService';
  const handler = RUNTIME_HANDLERS[method] ?? IMAGE_HANDLERS[method];
  return (await handler(app, decoded(service, method, request), { method, signal: new AbortController().signal })) as { pod_sandbox_id?: string; container_id?: string };
};
const settle = () => {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage();
};

const app = new App(parseConfig({}), join(dir, 'state'), pino({ level: 'silent' }));

async function main() {
await call('PullImage', { image: { image: 'nginx:1.25' } });
// Warm every code path once so that compiled code does not count as state.
for (let i = 0; i < 50; i++) {
  const s = (await call('RunPodSandbox', { config: podConfig(`warm-${i}`) })).pod_sandbox_id!;
  await call('RemovePodSandbox', { pod_sandbox_id: s });
}
const before = settle();
for (let i = 0; i < pods; i++) {
  const cfg = podConfig(`pod-${i}`);
  const s = (await call('RunPodSandbox', { config: cfg })).pod_sandbox_id!;
  const c = (await call('CreateContainer', { pod_sandbox_id: s, config: containerConfig('app', 'nginx:1.25', { podName: `pod-${i}`, uid: cfg.metadata.uid }), sandbox_config: cfg })).container_id!;
  await call('StartContainer', { container_id: c });
}
const after = settle();
process.stdout.write(
  `${JSON.stringify({ pods, rssKiB: (after.rss - before.rss) / 1024, heapKiB: (after.heapUsed - before.heapUsed) / 1024 })}\n`,
);
rmSync(dir, { recursive: true, force: true });
}

main();
