import type { ImageRecord } from '../store/image-store';
import type { Container } from '../store/container';
import type { Sandbox } from '../store/sandbox';

// config.dump and spec.dump as CRI-O writes them: checkpointctl's
// ContainerConfig, and the container's OCI runtime spec with CRI-O's
// io.kubernetes.cri-o.* annotations (what crictl inspect and checkpointctl
// read, and what a restore takes the original annotations from).

const ZERO_TIME = '0001-01-01T00:00:00Z';

export const nanosToRfc3339 = (nanos: string): string => {
  const n = BigInt(nanos || '0');
  if (n === 0n) return ZERO_TIME;
  const ms = Number(n / 1_000_000n);
  const frac = (n % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
};

export interface ConfigDump {
  id: string;
  name: string;
  rootfsImage?: string;
  rootfsImageRef?: string;
  rootfsImageName?: string;
  runtime?: string;
  createdTime: string;
  checkpointedTime: string;
  restoredTime: string;
  restored: boolean;
}

export function configDump(c: Container, name: string, image: ImageRecord | undefined, sandbox: Sandbox | undefined, restored: boolean): ConfigDump {
  return {
    id: c.id,
    name,
    rootfsImage: c.image.user_specified_image || c.image.image,
    rootfsImageRef: c.imageId,
    rootfsImageName: image?.repoTags[0] ?? c.image.image,
    runtime: sandbox?.runtimeHandler || 'fakecri',
    createdTime: nanosToRfc3339(c.createdAt),
    checkpointedTime: new Date().toISOString(),
    restoredTime: ZERO_TIME,
    restored,
  };
}

interface MountLike {
  container_path?: string;
  host_path?: string;
  readonly?: boolean;
}

interface ConfigLike {
  command?: string[];
  args?: string[];
  envs?: { key: string; value: string }[];
  working_dir?: string;
  tty?: boolean;
  stdin?: boolean;
  stdin_once?: boolean;
}

export const ANN = {
  annotations: 'io.kubernetes.cri-o.Annotations',
  labels: 'io.kubernetes.cri-o.Labels',
  metadata: 'io.kubernetes.cri-o.Metadata',
  containerId: 'io.kubernetes.cri-o.ContainerID',
  containerName: 'io.kubernetes.cri-o.ContainerName',
  containerType: 'io.kubernetes.cri-o.ContainerType',
  created: 'io.kubernetes.cri-o.Created',
  image: 'io.kubernetes.cri-o.Image',
  imageName: 'io.kubernetes.cri-o.ImageName',
  imageRef: 'io.kubernetes.cri-o.ImageRef',
  logPath: 'io.kubernetes.cri-o.LogPath',
  name: 'io.kubernetes.cri-o.Name',
  sandboxId: 'io.kubernetes.cri-o.SandboxID',
  sandboxName: 'io.kubernetes.cri-o.SandboxName',
  tty: 'io.kubernetes.cri-o.TTY',
  stdin: 'io.kubernetes.cri-o.Stdin',
  stdinOnce: 'io.kubernetes.cri-o.StdinOnce',
  runtimeHandler: 'io.kubernetes.cri-o.RuntimeHandler',
} as const;

// The spec: what the container runs (process), its mounts, and the
// annotations. Mounts other than the container's own binds are left out.
export function specDump(c: Container, name: string, image: ImageRecord | undefined, sandbox: Sandbox | undefined): object {
  const cfg = (c.config ?? {}) as ConfigLike;
  const mounts = (c.mounts as MountLike[])
    .filter((m) => m.container_path)
    .map((m) => ({ destination: m.container_path, type: 'bind', source: m.host_path ?? '', options: ['rbind', m.readonly ? 'ro' : 'rw'] }));
  const annotations: Record<string, string> = {
    ...c.annotations,
    'io.container.manager': 'cri-o',
    [ANN.annotations]: JSON.stringify(c.annotations),
    [ANN.labels]: JSON.stringify(c.labels),
    [ANN.metadata]: JSON.stringify(c.metadata),
    [ANN.containerId]: c.id,
    [ANN.containerName]: `k8s_${name}`,
    [ANN.containerType]: 'container',
    [ANN.created]: nanosToRfc3339(c.createdAt),
    [ANN.image]: c.image.user_specified_image || c.image.image,
    [ANN.imageName]: image?.repoTags[0] ?? c.image.image,
    [ANN.imageRef]: c.imageId,
    [ANN.logPath]: c.logPath,
    [ANN.name]: `k8s_${name}`,
    [ANN.sandboxId]: c.sandboxId,
    [ANN.sandboxName]: sandbox ? `k8s_${sandbox.metadata.name}_${sandbox.metadata.namespace}_${sandbox.metadata.uid}_${sandbox.metadata.attempt}` : '',
    [ANN.tty]: String(Boolean(cfg.tty)),
    [ANN.stdin]: String(Boolean(cfg.stdin)),
    [ANN.stdinOnce]: String(Boolean(cfg.stdin_once)),
    [ANN.runtimeHandler]: sandbox?.runtimeHandler ?? '',
  };
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: Boolean(cfg.tty),
      user: { uid: 0, gid: 0 },
      args: [...(cfg.command ?? []), ...(cfg.args ?? [])],
      env: (cfg.envs ?? []).map((e) => `${e.key}=${e.value}`),
      cwd: cfg.working_dir || '/',
    },
    root: { path: 'rootfs' },
    hostname: sandbox?.hostname ?? '',
    mounts,
    annotations,
    linux: {},
  };
}

// What a restore takes from spec.dump: the program and its environment (a
// fakecri container's processes are not frozen images: they start again
// from the command line), the original annotations, the bind mounts.
export interface RestoredSpec {
  args: string[];
  env: { key: string; value: string }[];
  cwd: string;
  annotations: Record<string, string>;
  bindDestinations: string[];
}

// CRI-O's list of mounts a restore sets up afresh rather than from the archive.
const IGNORED_MOUNTS = new Set([
  '/proc',
  '/dev',
  '/dev/pts',
  '/dev/mqueue',
  '/sys',
  '/sys/fs/cgroup',
  '/dev/shm',
  '/etc/resolv.conf',
  '/etc/hostname',
  '/etc/hosts',
  '/run/secrets',
  '/run/.containerenv',
  '/dev/termination-log',
]);

export function readSpecDump(spec: Record<string, unknown>): RestoredSpec {
  const process = (spec.process ?? {}) as { args?: unknown; env?: unknown; cwd?: unknown };
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
  const ann = (spec.annotations ?? {}) as Record<string, unknown>;
  let annotations: Record<string, string> = {};
  if (typeof ann[ANN.annotations] === 'string') {
    const parsed: unknown = JSON.parse(ann[ANN.annotations] as string);
    if (parsed && typeof parsed === 'object') {
      annotations = Object.fromEntries(Object.entries(parsed).filter((kv): kv is [string, string] => typeof kv[1] === 'string'));
    }
  }
  const mounts = Array.isArray(spec.mounts) ? (spec.mounts as { destination?: unknown; type?: unknown }[]) : [];
  return {
    args: strings(process.args),
    env: strings(process.env).map((e) => {
      const eq = e.indexOf('=');
      return eq < 0 ? { key: e, value: '' } : { key: e.slice(0, eq), value: e.slice(eq + 1) };
    }),
    cwd: typeof process.cwd === 'string' ? process.cwd : '',
    annotations,
    bindDestinations: mounts
      .filter((m) => typeof m.destination === 'string' && m.type === 'bind' && !IGNORED_MOUNTS.has(m.destination))
      .map((m) => m.destination as string),
  };
}

const STATE_NUMBER: Record<Container['state'], number> = { CONTAINER_CREATED: 0, CONTAINER_RUNNING: 1, CONTAINER_EXITED: 2 };

// status.dump as containerd writes it: json.Marshal of the CRI ContainerStatus
// (Go's field names, the state as its enum number, times as int64 nanoseconds
// written out exactly).
export function statusDump(c: Container, image: ImageRecord | undefined): string {
  const nanos = (n: string) => `__nanos_${BigInt(n || '0')}__`;
  const status = {
    id: c.id,
    metadata: c.metadata,
    state: STATE_NUMBER[c.state],
    created_at: nanos(c.createdAt),
    started_at: nanos(c.startedAt),
    finished_at: nanos(c.finishedAt),
    exit_code: c.exitCode,
    image: { image: image?.repoTags[0] ?? c.image.image, user_specified_image: c.image.user_specified_image },
    image_ref: c.imageId,
    image_id: c.imageId,
    reason: c.reason,
    message: c.message,
    labels: c.labels,
    annotations: c.annotations,
    mounts: c.mounts,
    log_path: c.logPath,
  };
  return JSON.stringify(status, null, '  ').replace(/"__nanos_(\d+)__"/g, '$1');
}

// When the checkpointed container started and when it was checkpointed, in
// ms, from status.dump (fakecri's or containerd's) and config.dump; undefined
// when the archive does not say (CRI-O's has no status.dump).
export function checkpointTimes(config: Record<string, unknown>, status: Record<string, unknown> | undefined): { startedMs: number; checkpointedMs: number } | undefined {
  const started = Number(status?.started_at ?? NaN) / 1e6;
  const checkpointed = typeof config.checkpointedTime === 'string' ? Date.parse(config.checkpointedTime) : NaN;
  if (!(started > 0) || !Number.isFinite(checkpointed) || started > checkpointed) return undefined;
  return { startedMs: Math.floor(started), checkpointedMs: checkpointed };
}
