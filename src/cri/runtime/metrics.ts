import type { App } from '../../app';
import type { Handler } from '../handler';
import type { StreamHandler } from '../server';
import type { Container } from '../../store/container';
import type { Sandbox } from '../../store/sandbox';
import { nowNanos } from '../../domain/clock';
import { type ContainerSample, DESCRIPTORS, type FsCapacity, type ResourcesSample, containerMetrics, sandboxMetrics } from '../../stats/cri-metrics';
import { type PodMetrics, encodePodMetricsList } from '../encode-metrics';
import type { Encoded } from '../encode';
import type { ListMetricDescriptorsResponse } from '../../generated/runtime/v1/ListMetricDescriptorsResponse';

export const listMetricDescriptors: Handler<unknown, ListMetricDescriptorsResponse> = () => ({
  descriptors: DESCRIPTORS.map((m) => ({ name: m.name, help: m.help, label_keys: [...m.labelKeys] })),
});

// Ready sandboxes and their running containers, as ListPodSandboxStats.
// Answered as encoded bytes (encode-metrics.ts).
export const listPodSandboxMetrics: Handler<unknown, Encoded> = (app) => {
  const pods: PodMetrics[] = [];
  for (const s of readySandboxes(app)) pods.push(podMetrics(app, s));
  return encodePodMetricsList(pods);
};

// A message holds up to this many sandboxes, or about this many metrics
// (some 150 bytes each): well under 4 MiB.
const BATCH_SANDBOXES = 100;
const BATCH_METRICS = 5000;

// The same as ListPodSandboxMetrics, in batches; each is computed only when
// the previous one is on its way, so a client that goes stops the work.
export const streamPodSandboxMetrics: StreamHandler = async (app, _req, write, signal, drained) => {
  let batch: PodMetrics[] = [];
  let metrics = 0;
  const send = async () => {
    const message = encodePodMetricsList(batch);
    batch = [];
    metrics = 0;
    if (!write(message)) await drained();
    // Lets a cancel from the client be seen between batches.
    else await new Promise((resolve) => setImmediate(resolve));
  };
  for (const s of [...readySandboxes(app)]) {
    if (signal.aborted) return;
    // Gone meanwhile.
    if (app.sandboxes.store.get(s.id) !== s) continue;
    const m = podMetrics(app, s);
    batch.push(m);
    metrics += m.metrics.length + m.containers.reduce((n, c) => n + c.metrics.length, 0);
    if (batch.length >= BATCH_SANDBOXES || metrics >= BATCH_METRICS) await send();
  }
  if (batch.length && !signal.aborted) await send();
};

function* readySandboxes(app: App): Iterable<Sandbox> {
  for (const s of app.sandboxes.store.values()) if (s.state === 'SANDBOX_READY') yield s;
}

function podMetrics(app: App, s: Sandbox): PodMetrics {
  const timestamp = BigInt(nowNanos());
  const now = Number(timestamp / 1_000_000n) / 1000;
  const fs = containerfs(app);
  return {
    sandboxId: s.id,
    timestamp,
    // The one interface PodSandboxStats reports, with its counters.
    metrics: sandboxMetrics({ id: s.id, namespace: s.metadata.namespace, pod: s.metadata.name, interfaces: [{ name: 'eth0', rxBytes: 0, txBytes: 0 }] }),
    containers: app.containers
      .inSandbox(s.id)
      .filter((c) => c.state === 'CONTAINER_RUNNING')
      .map((c) => ({ id: c.id, metrics: containerMetrics(sample(app, s, c), fs, now) })),
  };
}

function containerfs(app: App): FsCapacity {
  const c = app.fs.containerfs.capacity();
  return { capacityBytes: c.capacityBytes, inodes: c.inodes, inodesFree: c.inodesFree };
}

// The coupling to the stats RPCs: the usage they report (App.containerUsage),
// and what the container's own /sys/fs/cgroup shows (processes, resources).
function sample(app: App, s: Sandbox, c: Container): ContainerSample {
  return {
    id: c.id,
    name: `k8s_${c.metadata.name}_${s.metadata.name}_${s.metadata.namespace}_${s.metadata.uid}_${c.metadata.attempt}`,
    // As CRI-O's SomeNameOfTheImage: a name, not the id the kubelet passes.
    image: app.images.find(c.imageId)?.repoTags[0] ?? (c.image.user_specified_image || c.image.image),
    namespace: s.metadata.namespace,
    pod: s.metadata.name,
    container: c.metadata.name,
    createdAtNs: c.createdAt,
    usage: app.containerUsage(c),
    processes: app.workloads.programs.procs(c.id)?.list().length ?? 0,
    resources: (c.resources ?? {}) as ResourcesSample,
  };
}
