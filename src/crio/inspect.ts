import { stringify } from 'smol-toml';
import type { App } from '../app';
import { nanosToDate } from '../domain/clock';
import type { Container } from '../store/container';
import type { Sandbox } from '../store/sandbox';
import { HostFilesystem } from '../vfs/host-backend';
import { containerDirKey } from '../vfs/filesystems';

// CRI-O's HTTP inspect API (server/inspect.go), with its field names: what
// cAdvisor's CRI-O client decodes to label the filesystems and to find a
// container's storage and cgroups.
export const INSPECT = { info: '/info', containers: '/containers', config: '/config' } as const;

export function storageRoot(app: App): string {
  const fs = app.fs.containerfs;
  return fs instanceof HostFilesystem ? fs.hostPath('') : fs.mountpoint;
}

export function imageStore(app: App): string {
  const fs = app.fs.imagefs;
  return fs instanceof HostFilesystem ? fs.hostPath('') : fs.mountpoint;
}

export function crioInfo(app: App) {
  const max = 4294967295;
  return {
    storage_driver: 'overlay',
    storage_root: storageRoot(app),
    // Only when split: cAdvisor then labels imagefs crio-images and
    // containerfs crio-containers, which is what the kubelet's split needs.
    ...(app.fs.shared ? {} : { storage_image: imageStore(app) }),
    cgroup_driver: app.config.runtime.cgroup_driver,
    default_id_mappings: {
      uids: [{ container_id: 0, host_id: 0, size: max }],
      gids: [{ container_id: 0, host_id: 0, size: max }],
    },
  };
}

// A container, or a sandbox's infra container, as CRI-O describes it.
export function containerInfo(app: App, id: string): object | undefined {
  const c = app.containers.store.get(id);
  if (c) {
    const s = app.sandboxes.store.get(c.sandboxId);
    return s && describeContainer(app, c, s);
  }
  const s = app.sandboxes.store.get(id);
  return s && describeInfra(app, s);
}

const createdTime = (ns: string) => Number(BigInt(ns)); // int64 nanoseconds

function describeContainer(app: App, c: Container, s: Sandbox) {
  return {
    name: `k8s_${c.metadata.name}_${s.metadata.name}_${s.metadata.namespace}_${s.metadata.uid}_${c.metadata.attempt}`,
    pid: c.state === 'CONTAINER_RUNNING' ? c.pid : 0,
    image: c.image.image,
    image_ref: c.imageId,
    created_time: createdTime(c.createdAt),
    labels: c.labels,
    annotations: c.annotations,
    crio_annotations: {
      'io.kubernetes.cri-o.ContainerID': c.id,
      'io.kubernetes.cri-o.SandboxID': s.id,
      'io.kubernetes.cri-o.Created': nanosToDate(c.createdAt).toISOString(),
      'io.kubernetes.cri-o.LogPath': c.logPath,
    },
    log_path: c.logPath,
    // cAdvisor strips /merged and measures <root>/../diff.
    root: `${storageRoot(app)}/${containerDirKey(c.id)}/merged`,
    sandbox: s.id,
    ip_addresses: s.ips ?? [],
  };
}

function describeInfra(app: App, s: Sandbox) {
  const running = app.containers.inSandbox(s.id).find((c) => c.state === 'CONTAINER_RUNNING');
  return {
    name: `k8s_POD_${s.metadata.name}_${s.metadata.namespace}_${s.metadata.uid}_${s.metadata.attempt}`,
    // As CRI-O: with no infra process, the pid of a running container of the pod.
    pid: running?.pid ?? 0,
    image: app.config.runtime.sandbox_image,
    image_ref: app.images.find(app.config.runtime.sandbox_image)?.id ?? '',
    created_time: createdTime(s.createdAt),
    labels: { ...s.labels, 'io.kubernetes.container.name': 'POD' },
    annotations: s.annotations,
    crio_annotations: { 'io.kubernetes.cri-o.SandboxID': s.id, 'io.kubernetes.cri-o.Created': nanosToDate(s.createdAt).toISOString() },
    log_path: '',
    // An empty directory (see infraStorage in personality.ts), so that
    // cAdvisor's measure of <root>/diff finds something.
    root: `${storageRoot(app)}/${containerDirKey(s.id)}/merged`,
    sandbox: s.id,
    ip_addresses: s.ips ?? [],
  };
}

// The effective configuration, as TOML, like CRI-O's /config. Anyone who can
// reach the CRI socket reads it, so secrets are not in it: the control API's
// token shows only whether one is set.
export function crioConfig(app: App): string {
  const config = JSON.parse(JSON.stringify(app.config));
  if (config.control?.token) config.control.token = REDACTED;
  return stringify(config);
}

export const REDACTED = '[redacted]';
