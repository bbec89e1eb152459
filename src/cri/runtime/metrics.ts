import type { App } from '../../app';
import type { Handler } from '../handler';
import type { StreamHandler } from '../server';
import type { Container } from '../../store/container';
import type { Sandbox } from '../../store/sandbox';
import { nowNanos } from '../../domain/clock';
import { type ContainerSample, type CriMetric, DESCRIPTORS, type FsCapacity, type ResourcesSample, containerMetrics, sandboxMetrics } from '../../stats/cri-metrics';
import type { ListMetricDescriptorsResponse } from '../../generated/runtime/v1/ListMetricDescriptorsResponse';
import type { ListPodSandboxMetricsResponse } from '../../generated/runtime/v1/ListPodSandboxMetricsResponse';
import type { Metric } from '../../generated/runtime/v1/Metric';
import type { PodSandboxMetrics } from '../../generated/runtime/v1/PodSandboxMetrics';
import type { StreamPodSandboxMetricsResponse } from '../../generated/runtime/v1/StreamPodSandboxMetricsResponse';

export const listMetricDescriptors: Handler<unknown, ListMetricDescriptorsResponse> = () => ({
  descriptors: DESCRIPTORS.map((m) => ({ name: m.name, help: m.help, label_keys: [...m.labelKeys] })),
});

// Ready sandboxes and their running containers, as ListPodSandboxStats.
export const listPodSandboxMetrics: Handler<unknown, ListPodSandboxMetricsResponse> = (app) => {
  const pod_metrics: PodSandboxMetrics[] = [];
  for (const s of readySandboxes(app)) pod_metrics.push(podSandboxMetrics(app, s));
  return { pod_metrics };
};

// A message holds up to this many sandboxes, or about this many metrics
// (some 200 bytes each): well under 4 MiB.
const BATCH_SANDBOXES = 100;
const BATCH_METRICS = 5000;

// The same as ListPodSandboxMetrics, in batches; each is computed only when
// the previous one is on its way, so a client that goes stops the work.
export const streamPodSandboxMetrics: StreamHandler = async (app, _req, write, signal, drained) => {
  let batch: PodSandboxMetrics[] = [];
  let metrics = 0;
  const send = async () => {
    const message: StreamPodSandboxMetricsResponse = { pod_sandbox_metrics: batch };
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
    const m = podSandboxMetrics(app, s);
    batch.push(m);
    metrics += (m.metrics?.length ?? 0) + (m.container_metrics ?? []).reduce((n, c) => n + (c.metrics?.length ?? 0), 0);
    if (batch.length >= BATCH_SANDBOXES || metrics >= BATCH_METRICS) await send();
  }
  if (batch.length && !signal.aborted) await send();
};

function* readySandboxes(app: App): Iterable<Sandbox> {
  for (const s of app.sandboxes.store.values()) if (s.state === 'SANDBOX_READY') yield s;
}

function podSandboxMetrics(app: App, s: Sandbox): PodSandboxMetrics {
  const timestamp = nowNanos();
  const now = Number(BigInt(timestamp) / 1_000_000n) / 1000;
  const fs = containerfs(app);
  // The one interface PodSandboxStats reports, with its counters.
  const pod = sandboxMetrics({ id: s.id, namespace: s.metadata.namespace, pod: s.metadata.name, interfaces: [{ name: 'eth0', rxBytes: 0, txBytes: 0 }] });
  return {
    pod_sandbox_id: s.id,
    metrics: pod.map((m) => toMetric(m, timestamp)),
    container_metrics: app.containers
      .inSandbox(s.id)
      .filter((c) => c.state === 'CONTAINER_RUNNING')
      .map((c) => ({ container_id: c.id, metrics: containerMetrics(sample(app, s, c), fs, now).map((m) => toMetric(m, timestamp)) })),
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
    image: c.image.image,
    namespace: s.metadata.namespace,
    pod: s.metadata.name,
    container: c.metadata.name,
    createdAtNs: c.createdAt,
    usage: app.containerUsage(c),
    processes: app.workloads.programs.procs(c.id)?.list().length ?? 0,
    resources: (c.resources ?? {}) as ResourcesSample,
  };
}

function toMetric(m: CriMetric, timestamp: string): Metric {
  return { name: m.name, timestamp, metric_type: m.type, value: { value: m.value.toString() }, label_values: m.labels };
}
