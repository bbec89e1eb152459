import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Container } from '../store/container';
import type { ImageRecord } from '../store/image-store';
import type { Filesystem } from '../vfs/filesystem';
import { HostFilesystem } from '../vfs/host-backend';
import { MemoryFilesystem } from '../vfs/memory-backend';
import { RootfsStore } from '../workloads/rootfs/store';
import { fmt } from './load';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

// The containers' files in `make bench`: memory per container (a child
// with --expose-gc, see rootfs-probe.ts), and a dd-like 1 GiB write into a
// writable layer, bs=1M, on the memory backend and on the host backend over
// tmpfs, beside dd writing the same to the same tmpfs.
export async function rootfsBench(dir: string, print: (s: string) => void): Promise<void> {
  print('');
  print('Container files');
  const probe = JSON.parse(execFileSync(process.execPath, ['--expose-gc', join(__dirname, 'rootfs-probe.js'), '2000']).toString()) as Record<string, number>;
  const kib = (b: number) => `${fmt(b / 1024, 2)} KiB`;
  print(`  memory per container (${probe.containers} containers, memory backend): created ${kib(probe.createdBytes)}; idle program found through PATH ${kib(probe.idleBytes)}; shell loop of 10 dd rounds ${kib(probe.shellBytes)} more`);
  print(`  targets: pause/sleep pod <= 10 KiB: files take ${kib(probe.createdBytes + probe.idleBytes)}; shell pod <= 64 KiB: files take ${kib(probe.createdBytes + probe.idleBytes + probe.shellBytes)}`);

  const mem = new MemoryFilesystem('containerfs', join(dir, 'rootfs-mem'), 4 * GiB, 1 << 20);
  for (const source of ['/dev/zero', '/dev/urandom']) {
    print(`  dd if=${source} bs=1M count=1024 into a writable layer, memory backend: ${fmt(await ddInto(mem, dir, source), 0)} MiB/s`);
  }
  const mnt = join(dir, 'rootfs-tmpfs');
  mkdirSync(mnt, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1200m', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (err) {
    print(`  host backend on tmpfs: skipped, cannot mount tmpfs (${(err as Error).message.split('\n')[0]})`);
    return;
  }
  try {
    for (const source of ['/dev/zero', '/dev/urandom']) {
      const t0 = performance.now();
      execFileSync('dd', [`if=${source}`, `of=${join(mnt, 'dd.bin')}`, 'bs=1M', 'count=1024', 'status=none']);
      const dd = GiB / MiB / ((performance.now() - t0) / 1000);
      rmSync(join(mnt, 'dd.bin'));
      const ours = await ddInto(new HostFilesystem('containerfs', mnt), dir, source);
      print(`  dd if=${source} bs=1M count=1024 on tmpfs: dd ${fmt(dd, 0)} MiB/s; into a writable layer, host backend ${fmt(ours, 0)} MiB/s (${fmt(ours / dd, 2)} of dd)`);
    }
  } finally {
    execFileSync('umount', ['-l', mnt]);
  }
}

// MiB/s of 1024 writes of 1 MiB read from `source` inside the container.
// Resolved once the layer is gone: a host layer's files are removed a few
// at a time, and the next run needs their space on the 1.2 GiB tmpfs.
async function ddInto(fs: Filesystem, dir: string, source: string): Promise<number> {
  const image = { id: 'sha256:bench', repoTags: ['busybox:bench'], repoDigests: [], size: 0, layers: [], annotations: {}, createdAt: '0' } as ImageRecord;
  const c = { id: 'bench', sandboxId: 'sb', imageId: image.id, mounts: [], config: {}, resources: {}, rootfsBytes: 0 } as unknown as Container;
  const store = new RootfsStore({ containerfs: fs, stateDir: join(dir, 'rootfs-state'), container: () => c, sandbox: () => undefined, image: () => image });
  store.create(c.id);
  const view = store.view(c.id, { uid: 0, gid: 0, groups: [], pid: 1 });
  try {
    const t0 = performance.now();
    const input = view.open(source, { read: true });
    const out = view.open('/test-file', { write: true, create: true, truncate: true });
    for (let i = 0; i < 1024; i++) out.write(input.read(MiB)!);
    out.close();
    input.close();
    return GiB / MiB / ((performance.now() - t0) / 1000);
  } finally {
    await store.remove(c.id);
    store.close();
  }
}
