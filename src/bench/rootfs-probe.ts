import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container } from '../store/container';
import type { ImageRecord } from '../store/image-store';
import type { Sandbox } from '../store/sandbox';
import { MemoryFilesystem } from '../vfs/memory-backend';
import { DEFAULT_PATH, findInPath } from '../workloads/rootfs/path';
import { RootfsStore } from '../workloads/rootfs/store';
import type { Caller } from '../workloads/rootfs/types';

// Run with --expose-gc: what a container's files cost in memory, per
// container, on the memory backend, after garbage collection:
//   created  the writable layer of CreateContainer, nothing touched;
//   idle     its program found through PATH (pause, sleep infinity);
//   shell    upstream's eviction loop for 10 rounds: dd of 1 MiB from
//            /dev/urandom into a file each, a line appended to a log,
//            /proc/self/status read once.
declare const gc: () => void;

const n = Number(process.argv[2] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'fakecri-rootfs-probe-'));
const image: ImageRecord = { id: 'sha256:busybox', repoTags: ['docker.io/library/busybox:1.36'], repoDigests: [], size: 0, layers: [], annotations: {}, createdAt: '0' };
const sandbox = { id: 'sb', hostname: 'h', config: {} } as unknown as Sandbox;
const containers = new Map<string, Container>();
for (let i = 0; i < n; i++) {
  const id = `c${String(i).padStart(6, '0')}`;
  containers.set(id, { id, sandboxId: 'sb', imageId: image.id, mounts: [], config: {}, resources: {}, rootfsBytes: 0 } as unknown as Container);
}
const fs = new MemoryFilesystem('containerfs', join(dir, 'fs'), 2 ** 50, 2 ** 40);
// One process table for all: the integration's, not this module's, memory.
const pid1 = { pid: 1, ppid: 0, argv: ['sh', '-c', 'loop'], uid: 0, gid: 0, startMs: Date.now(), state: 'sleeping' as const };
const procs = { list: () => [pid1], get: (pid: number) => (pid === 1 ? pid1 : undefined) };
const store = new RootfsStore({
  containerfs: fs,
  stateDir: dir,
  container: (id) => containers.get(id),
  sandbox: () => sandbox,
  image: () => image,
  procs: () => procs,
  flushIntervalMs: 3_600_000,
});
const caller: Caller = { uid: 0, gid: 0, groups: [], pid: 1 };

const settle = () => {
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

// Warm the code paths (and build the shared image tree) on one container.
store.create('warm');
containers.set('warm', { ...containers.get('c000000')!, id: 'warm' });
findInPath(store.view('warm', caller), 'sleep', DEFAULT_PATH);
const ids = [...containers.keys()].filter((id) => id !== 'warm');
const perContainer = (before: number) => (settle() - before) / ids.length;

const base = settle();
for (const id of ids) store.create(id);
const created = perContainer(base);
const idleBase = settle();
for (const id of ids) if (!findInPath(store.view(id, caller), 'sleep', DEFAULT_PATH)) throw new Error('sleep not found');
const idle = perContainer(idleBase);
const shellBase = settle();
for (const id of ids) {
  const view = store.view(id, caller);
  const urandom = view.open('/dev/urandom', { read: true });
  for (let i = 0; i < 10; i++) {
    const out = view.open(`/test-file${i}`, { write: true, create: true, truncate: true });
    out.write(urandom.read(2 ** 20)!);
    out.close();
    const log = view.open('/tmp/log', { write: true, create: true, append: true });
    log.write(Buffer.from(`round ${i}\n`));
    log.close();
  }
  urandom.close();
  const st = view.open('/proc/self/status', { read: true });
  st.read(4096);
  st.close();
}
const shell = perContainer(shellBase);
process.stdout.write(`${JSON.stringify({ containers: ids.length, createdBytes: created, idleBytes: idle, shellBytes: shell })}\n`);
rmSync(dir, { recursive: true, force: true });
