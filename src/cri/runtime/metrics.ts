import type { App } from '../../app';
import type { Handler } from '../handler';
import type { ListStreamHandler } from '../list-stream';
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

// No sandbox alone in a message may be larger than this: the list stream's
// batches stay well under 4 MiB.
const PART_BYTES = 1024 * 1024;

// The same as ListPodSandboxMetrics, one entry per sandbox as the stream
// takes them (list-stream.ts). A sandbox too big for one message is sent as
// several PodSandboxMetrics of the same id, its containers shared out (the
// first has the pod's own metrics), as CRI-O's list may give it; the
// kubelet reads each alone.
export const streamPodSandboxMetrics: ListStreamHandler = (app) =>
  (function* () {
    for (const s of readySandboxes(app)) {
      // One PodSandboxMetrics, encoded alone: lists concatenate.
      const p = podMetrics(app, s);
      const whole = encodePodMetricsList([p]);
      if (whole.length <= PART_BYTES) yield whole;
      else for (const part of parts(p)) yield encodePodMetricsList([part]);
    }
  })();

// One PodSandboxMetrics per container, the first with the pod's own metrics.
function parts(p: PodMetrics): PodMetrics[] {
  return p.containers.map((c, i) => ({ ...p, metrics: i === 0 ? p.metrics : [], containers: [c] }));
}

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
    processes: app.workloads.programs.processCount(c.id),
    resources: (c.resources ?? {}) as ResourcesSample,
  };
}
