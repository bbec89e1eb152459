import type { App } from '../app';
import type { Container } from '../store/container';
import type { ImageRecord } from '../store/image-store';
import type { Sandbox } from '../store/sandbox';
import type { ContainerStats } from '../generated/runtime/v1/ContainerStats';
import type { ContainerStatus } from '../generated/runtime/v1/ContainerStatus';
import type { Container as ProtoContainer } from '../generated/runtime/v1/Container';
import type { FilesystemUsage } from '../generated/runtime/v1/FilesystemUsage';
import type { Image } from '../generated/runtime/v1/Image';
import type { PodSandbox } from '../generated/runtime/v1/PodSandbox';
import type { PodSandboxStatus } from '../generated/runtime/v1/PodSandboxStatus';
import type { PodSandboxStats } from '../generated/runtime/v1/PodSandboxStats';
import type { Mount } from '../generated/runtime/v1/Mount';
import type { ContainerResources } from '../generated/runtime/v1/ContainerResources';
import type { NamespaceOption } from '../generated/runtime/v1/NamespaceOption';
import type { ContainerUsage, DiskUsage } from '../app';
import { nowNanos } from '../domain/clock';

// Domain records → CRI messages. Nothing here decides anything.

export function toPodSandbox(s: Sandbox): PodSandbox {
  return {
    id: s.id,
    metadata: s.metadata,
    state: s.state,
    created_at: s.createdAt,
    labels: s.labels,
    annotations: s.annotations,
    runtime_handler: s.runtimeHandler,
  };
}

export function toPodSandboxStatus(s: Sandbox): PodSandboxStatus {
  return {
    id: s.id,
    metadata: s.metadata,
    state: s.state,
    created_at: s.createdAt,
    network: s.ips ? { ip: s.ips[0], additional_ips: s.ips.slice(1).map((ip) => ({ ip })) } : null,
    linux: { namespaces: { options: s.namespaceOptions as NamespaceOption } },
    labels: s.labels,
    annotations: s.annotations,
    runtime_handler: s.runtimeHandler,
  };
}

export function toContainer(c: Container): ProtoContainer {
  return {
    id: c.id,
    pod_sandbox_id: c.sandboxId,
    metadata: c.metadata,
    image: c.image,
    image_ref: c.imageId,
    state: c.state,
    created_at: c.createdAt,
    labels: c.labels,
    annotations: c.annotations,
    image_id: c.imageId,
  };
}

export function toContainerStatus(c: Container): ContainerStatus {
  return {
    id: c.id,
    metadata: c.metadata,
    state: c.state,
    created_at: c.createdAt,
    started_at: c.startedAt,
    finished_at: c.finishedAt,
    exit_code: c.exitCode,
    image: c.image,
    image_ref: c.imageId,
    image_id: c.imageId,
    reason: c.reason,
    message: c.message,
    labels: c.labels,
    annotations: c.annotations,
    mounts: c.mounts as Mount[],
    log_path: c.logPath,
    resources: c.resources ? ({ linux: c.resources } as ContainerResources) : null,
    user: c.user ? { linux: { uid: c.user.uid, gid: c.user.gid, supplemental_groups: c.user.groups } } : null,
  };
}

// As containerd reports the image config's User: a numeric user (before any
// ":group") is the uid, anything else the username.
function imageUser(user = ''): Pick<Image, 'uid' | 'username'> {
  const name = user.split(':')[0];
  if (/^\d+$/.test(name)) return { uid: { value: name }, username: '' };
  return { uid: null, username: name };
}

export function toImage(app: App, i: ImageRecord): Image {
  return {
    id: i.id,
    repo_tags: i.repoTags,
    repo_digests: i.repoDigests,
    size: String(i.size),
    ...imageUser(i.user),
    spec: { image: i.id, annotations: i.annotations },
    pinned: app.images.isPinned(i),
  };
}

export function toFilesystemUsage(u: DiskUsage): FilesystemUsage {
  return {
    timestamp: nowNanos(),
    fs_id: { mountpoint: u.mountpoint },
    used_bytes: { value: String(u.usedBytes) },
    inodes_used: { value: String(u.inodesUsed) },
  };
}

export function toContainerStats(app: App, c: Container): ContainerStats {
  return containerStatsMessage(c, app.stats.container(c), nowNanos());
}

function containerStatsMessage(c: Container, usage: ContainerUsage, ts: string): ContainerStats {
  return {
    attributes: { id: c.id, metadata: c.metadata, labels: c.labels, annotations: c.annotations },
    cpu: {
      timestamp: ts,
      usage_core_nano_seconds: { value: String(usage.cpuCoreNanoSeconds) },
      usage_nano_cores: { value: String(usage.cpuNanoCores) },
    },
    memory: {
      timestamp: ts,
      working_set_bytes: { value: String(usage.memoryWorkingSetBytes) },
      usage_bytes: { value: String(usage.memoryWorkingSetBytes) },
      rss_bytes: { value: String(usage.memoryWorkingSetBytes) },
      available_bytes: { value: '0' },
      page_faults: { value: '0' },
      major_page_faults: { value: '0' },
    },
    writable_layer: { ...toFilesystemUsage(usage.writableLayer), timestamp: ts },
  };
}

// The List* stats RPCs answer the same figures encoded in bulk (stats-encode.ts).
export function toPodSandboxStats(app: App, s: Sandbox): PodSandboxStats {
  const ts = nowNanos();
  const u = app.stats.sandbox(s);
  return {
    attributes: { id: s.id, metadata: s.metadata, labels: s.labels, annotations: s.annotations },
    linux: {
      cpu: {
        timestamp: ts,
        usage_core_nano_seconds: { value: String(u.cpuCoreNanoSeconds) },
        usage_nano_cores: { value: String(u.cpuNanoCores) },
      },
      memory: {
        timestamp: ts,
        working_set_bytes: { value: String(u.memoryWorkingSetBytes) },
        usage_bytes: { value: String(u.memoryWorkingSetBytes) },
      },
      network: { timestamp: ts, default_interface: { name: 'eth0', rx_bytes: { value: '0' }, tx_bytes: { value: '0' } }, interfaces: [] },
      process: { timestamp: ts, process_count: { value: String(u.containers.length) } },
      containers: u.containers.map((x) => containerStatsMessage(x.container, x.usage, ts)),
    },
    windows: null,
  };
}
