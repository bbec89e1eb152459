import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container } from '../store/container';
import type { ImageRecord } from '../store/image-store';
import type { Sandbox } from '../store/sandbox';
import type { Filesystem } from '../vfs/filesystem';
import { HostFilesystem } from '../vfs/host-backend';
import { MemoryFilesystem } from '../vfs/memory-backend';
import { randomFill } from '../workloads/rootfs/fill';
import type { ProcSource } from '../workloads/rootfs/proc';
import { RootfsStore } from '../workloads/rootfs/store';
import { type Chunk, type ContainerFs, isFill } from '../workloads/rootfs/types';
import { type Tmpfs, mountTmpfs } from './tmpfs';

// Containers' files without a server: a RootfsStore over a memory
// Filesystem or a host one on a real tmpfs, and records made up for it.

export const MiB = 2 ** 20;

// A chunk's bytes, a Fill made real.
export const bytesOf = (c: Chunk): Uint8Array => {
  if (!isFill(c)) return c;
  const out = new Uint8Array(c.length);
  if (c.fill === 'random') randomFill(out, c.seed, c.offset);
  return out;
};

// Writes a whole file (created, truncated unless the flags say otherwise).
export function writeFile(fs: ContainerFs, path: string, data: string | Chunk, flags: { truncate?: boolean; append?: boolean } = { truncate: true }): void {
  const h = fs.open(path, { write: true, create: true, ...flags });
  try {
    h.write(typeof data === 'string' ? Buffer.from(data) : data);
  } finally {
    h.close();
  }
}

export interface Fixture {
  fs: Filesystem;
  store: RootfsStore;
  stateDir: string;
  tmp?: Tmpfs;
  containers: Map<string, Container>;
  sandboxes: Map<string, Sandbox>;
  procs: Map<string, ProcSource>;
  // A created container of a busybox image, with these record fields.
  container(id: string, extra?: Partial<Container>): Container;
  // A fresh store and Filesystem over the same disk and state: a restart.
  restart(): Fixture;
  cleanup(): void;
}

export const IMAGE: ImageRecord = {
  id: 'sha256:busybox',
  repoTags: ['docker.io/library/busybox:1.36'],
  repoDigests: [],
  size: 0,
  layers: [],
  annotations: {},
  createdAt: '0',
};

export function sandboxRecord(id: string, extra: Partial<Sandbox> = {}): Sandbox {
  return {
    id,
    metadata: { name: 'p', uid: 'u', namespace: 'default', attempt: 0 },
    state: 'SANDBOX_READY',
    createdAt: '1',
    labels: {},
    annotations: {},
    runtimeHandler: '',
    hostname: 'pod-host',
    logDirectory: '',
    cgroupParent: '',
    namespaceOptions: null,
    ips: ['10.0.0.5'],
    config: { dns_config: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] } },
    ...extra,
  };
}

export function containerRecord(id: string, extra: Partial<Container> = {}): Container {
  return {
    id,
    sandboxId: 'sb',
    metadata: { name: id, attempt: 0 },
    state: 'CONTAINER_RUNNING',
    createdAt: '1',
    startedAt: '1',
    finishedAt: '0',
    exitCode: 0,
    reason: '',
    message: '',
    image: { image: 'busybox', annotations: {}, user_specified_image: 'busybox', runtime_handler: '' },
    imageId: IMAGE.id,
    labels: {},
    annotations: {},
    logPath: '',
    rootfsBytes: 0,
    pid: 1000,
    mounts: [],
    resources: {},
    config: {},
    ...extra,
  };
}

export type Kind = 'memory' | 'host';

export function makeFixture(kind: Kind, options: { bytes?: number; inodes?: number } = {}): Fixture {
  const bytes = options.bytes ?? 32 * MiB;
  const inodes = options.inodes ?? 1000;
  const stateDir = mkdtempSync(join(tmpdir(), 'fakecri-rootfs-state-'));
  let tmp: Tmpfs | undefined;
  let fsPath: string;
  if (kind === 'host') {
    tmp = mountTmpfs(`${bytes / 1024}k`, 'rootfs', inodes);
    fsPath = tmp.path;
  } else {
    fsPath = join(stateDir, 'containerfs');
  }
  const containers = new Map<string, Container>();
  const sandboxes = new Map<string, Sandbox>([['sb', sandboxRecord('sb')]]);
  const procs = new Map<string, ProcSource>();
  const open = () => {
    const fs = kind === 'host' ? new HostFilesystem('containerfs', fsPath) : new MemoryFilesystem('containerfs', fsPath, bytes, inodes);
    const store = new RootfsStore({
      containerfs: fs,
      stateDir,
      container: (id) => containers.get(id),
      sandbox: (id) => sandboxes.get(id),
      image: () => IMAGE,
      procs: (id) => procs.get(id),
      flushIntervalMs: 60_000,
    });
    return { fs, store };
  };
  const build = (fs: Filesystem, store: RootfsStore): Fixture => {
    const f: Fixture = {
      fs,
      store,
      stateDir,
      tmp,
      containers,
      sandboxes,
      procs,
      container(id, extra = {}) {
        const c = containerRecord(id, extra);
        containers.set(id, c);
        store.create(id);
        return c;
      },
      restart() {
        store.close();
        const next = open();
        const { objects, trees } = next.store.measure([...containers.values()]);
        const problems = next.fs.restore(objects, trees);
        if (problems.length) throw new Error(problems.join('; '));
        return build(next.fs, next.store);
      },
      cleanup() {
        store.close();
        tmp?.unmount();
        rmSync(stateDir, { recursive: true, force: true });
      },
    };
    return f;
  };
  const first = open();
  return build(first.fs, first.store);
}
