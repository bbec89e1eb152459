import { readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import { sleep } from '../../domain/sleep';
import type { Container } from '../../store/container';
import type { ImageRecord } from '../../store/image-store';
import type { Sandbox } from '../../store/sandbox';
import { type Filesystem, type LiveSize, NoSpaceError, type ObjectSize, type WriteOptions, paceDelay } from '../../vfs/filesystem';
import { writableLayerKey } from '../../vfs/filesystems';
import type { HostFilesystem } from '../../vfs/host-backend';
import { ContainerRootfs, PodFiles, type RootfsHost, imageSubPath } from './container';
import { type ImageFiles, populateImage } from './image-root';
import { journalOf } from './journal';
import { HostLayer, type LayerHost, MemoryLayer, type WritableLayer } from './layer';
import { MemTree } from './memory-tree';
import { Rootfs } from './rootfs';
import type { ProcSource } from './proc';
import { type Caller, type ContainerFs, FsError, isFsError } from './types';

// How long one turn of the periodic write-out of memory layers may take:
// as the containers' slice (userland/scheduler.ts), so that an RPC waits for
// little more than a millisecond of either.
const DRAIN_SLICE_MS = 1;
// What a layer with nothing written yet (no account) reports; gone, so
// that a reader that keeps it looks again.
const EMPTY_LAYER: LiveSize = Object.freeze({ bytes: 0, inodes: 0, gone: true });

// busybox's applets that a busybox-like image links in /bin (issue 14's list).
export const BUSYBOX_APPLETS = (
  'sh ash echo printf cat dd touch rm mkdir rmdir ls cp mv ln stat du df wc head tail grep sed cut tr sort uniq tee seq yes ' +
  'sleep true false test [ [[ env id whoami hostname date kill ps pwd basename dirname sync truncate fallocate mount umount ' +
  'nproc uname readlink realpath find xargs md5sum sha256sum nc wget busybox'
).split(' ');

export interface RootfsStoreOptions {
  containerfs: Filesystem;
  // Memory-backend writable layers are persisted under <stateDir>/rootfs.
  stateDir: string;
  container(id: string): Container | undefined;
  sandbox(id: string): Sandbox | undefined;
  image(id: string): ImageRecord | undefined;
  // The files an image holds; default: busybox's applets for images named
  // busybox, the users and directories for all.
  imageFiles?(image: ImageRecord | undefined): ImageFiles;
  // The container's processes, for /proc (the integration's process table).
  procs?(containerId: string): ProcSource | undefined;
  // Its usage, for /sys/fs/cgroup memory.current and cpu.stat.
  stats?(containerId: string): { memoryBytes: number; cpuUsageUsec: number } | undefined;
  now?(): number;
  // How long a changed memory layer may wait before it is written out.
  flushIntervalMs?: number;
  log?: Logger;
}

export function defaultImageFiles(image: ImageRecord | undefined): ImageFiles {
  const refs = [...(image?.repoTags ?? []), ...(image?.repoDigests ?? [])];
  const busybox = refs.some((r) => /(^|\/)busybox[:@]/.test(r));
  return { applets: busybox ? BUSYBOX_APPLETS : [] };
}

// Every container's files: writable layers (created, grown, measured,
// removed with the container), the shared image trees, each sandbox's own
// files, and the ContainerRootfs the integration asks for.
export class RootfsStore implements RootfsHost {
  private readonly layers = new Map<string, WritableLayer>();
  private readonly open = new Map<string, ContainerRootfs>();
  private readonly lowers = new Map<string, MemTree>();
  private readonly pods = new Map<string, PodFiles>();
  private readonly dirty = new Set<string>();
  private readonly usageKeys = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  // A background write-out in progress, a few layers per turn of the loop.
  private draining?: NodeJS.Immediate;
  private readonly dir: string;
  private readonly layerHost: LayerHost = {
    file: (id) => this.file(id),
    dirty: (id) => this.markDirty(id),
    now: () => this.now(),
  };

  constructor(private readonly o: RootfsStoreOptions) {
    this.dir = join(o.stateDir, 'rootfs');
  }

  get backend(): 'memory' | 'host' {
    return this.o.containerfs.backend;
  }

  // The container's files (built on first use, then kept while it exists).
  get(containerId: string): ContainerRootfs {
    let fs = this.open.get(containerId);
    if (fs) return fs;
    if (!this.o.container(containerId)) throw new Error(`container "${containerId}" not found: it has no files`);
    fs = new ContainerRootfs(containerId, this);
    this.open.set(containerId, fs);
    return fs;
  }

  view(containerId: string, caller: Caller): ContainerFs {
    return this.get(containerId).view(caller);
  }

  // An image's files, as a container's are at creation (the writable layer
  // empty), without a container: what CreateContainer reads.
  imageView(imageId: string, caller: Caller): ContainerFs {
    return new Rootfs(this.imageTree(imageId)).view(caller);
  }

  // At CreateContainer: the empty writable layer (its root directory).
  create(containerId: string): void {
    const key = writableLayerKey(containerId);
    if (this.backend === 'host') HostLayer.create(this.o.containerfs as HostFilesystem, key);
    else MemoryLayer.create(this.o.containerfs, key);
  }

  // Frees the container's writable layer, on disk and in the accounts (on
  // disk when the promise settles; see WritableLayer.remove).
  remove(containerId: string): Promise<void> | undefined {
    const layer = this.layers.get(containerId) ?? this.makeLayer(containerId);
    const gone = layer.remove();
    this.layers.delete(containerId);
    this.open.delete(containerId);
    this.dirty.delete(containerId);
    this.usageKeys.delete(containerId);
    return gone;
  }

  // A sandbox's own files go with it.
  removeSandbox(sandboxId: string): void {
    this.pods.delete(sandboxId);
  }

  // Whether an image's files hold this directory (an image volume's
  // image_sub_path), checked at CreateContainer as containerd checks it.
  imageHasDir(imageId: string, path: string): boolean {
    const tree = this.imageTree(imageId);
    const node = imageSubPath(tree, path);
    return Boolean(node && tree.attr(node).type === 'dir');
  }

  // The image's tree is built again next time (a re-pulled image).
  forgetImage(imageId: string): void {
    this.lowers.delete(imageId);
  }

  // What the writable layer holds now, a copy to keep.
  usage(containerId: string): ObjectSize {
    const { bytes, inodes } = this.account(containerId);
    return { bytes, inodes };
  }

  // The same, the live account read in place: the stats RPCs read every
  // container's per call, and a copy of each was a fifth of their time.
  account(containerId: string): LiveSize {
    // The key kept, not built: a fresh key string is hashed again each time.
    let key = this.usageKeys.get(containerId);
    if (key === undefined) this.usageKeys.set(containerId, (key = writableLayerKey(containerId)));
    return this.o.containerfs.entry(key) ?? EMPTY_LAYER;
  }

  // The rootfs_write behaviour: `bytes` more in the writable layer, all or
  // nothing, RESOURCE_EXHAUSTED when containerfs is full. With a pace the
  // bytes are taken at once and the call lasts as long as the pace says;
  // an abort takes them back.
  async grow(containerId: string, bytes: number, options: WriteOptions = {}): Promise<void> {
    const layer = this.layer(containerId);
    let undo: () => void;
    try {
      undo = layer.grow(bytes);
    } catch (err) {
      if (isFsError(err, 'ENOSPC') || isFsError(err, 'EDQUOT')) {
        throw new NoSpaceError(this.o.containerfs.name, join(this.o.containerfs.mountpoint, writableLayerKey(containerId)));
      }
      throw err;
    }
    const wait = paceDelay(bytes, Date.now(), options.bytesPerSecond);
    if (wait <= 0) return;
    try {
      await sleep(wait, options.signal);
    } catch (err) {
      undo();
      throw err;
    }
  }

  // After a restart: what each container's writable layer holds, measured
  // from what is there (the diff directories, or the persisted trees), to
  // be adopted by the Filesystem. Persisted trees of unknown containers go.
  measure(containers: Container[]): { objects: Map<string, ObjectSize>; trees: Set<string> } {
    const objects = new Map<string, ObjectSize>();
    const trees = new Set<string>();
    for (const c of containers) {
      const key = writableLayerKey(c.id);
      const bytes = c.rootfsBytes ?? 0;
      if (this.backend === 'host') objects.set(key, HostLayer.measure(this.o.containerfs as HostFilesystem, key, bytes));
      else {
        MemoryLayer.migrate(this.file(c.id), bytes, () => this.now());
        objects.set(key, MemoryLayer.measure(this.file(c.id), bytes));
      }
      trees.add(key);
    }
    if (this.backend === 'memory') {
      const known = new Set(containers.flatMap((c) => [`${c.id}.json`, basename(journalOf(this.file(c.id)))]));
      let names: string[] = [];
      try {
        names = readdirSync(this.dir);
      } catch {
        // Nothing persisted yet.
      }
      for (const name of names) if (!known.has(name)) rmSync(join(this.dir, name), { force: true });
    }
    return { objects, trees };
  }

  // Writes out a memory layer now (after an ExecSync, say), or all of them.
  flush(containerId?: string): void {
    const ids = containerId === undefined ? [...this.dirty] : [containerId];
    for (const id of ids) this.writeOut(id);
    if (this.dirty.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  // At shutdown: everything written out, no timer left.
  close(): void {
    this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.draining) clearImmediate(this.draining);
    this.draining = undefined;
  }

  private writeOut(id: string): void {
    this.dirty.delete(id);
    try {
      this.layers.get(id)?.flush();
    } catch (err) {
      this.o.log?.error({ container: id, err: (err as Error).message }, 'cannot persist the writable layer');
    }
  }

  // The periodic write-out: a thousand busy containers are a thousand
  // synchronous writes, so they go a few milliseconds' worth per turn of
  // the event loop, with the sockets served in between.
  // One pass takes the layers dirty when it began; what they write meanwhile
  // waits for the next pass, a flush interval later.
  private drain(pass = [...this.dirty]): void {
    this.draining = undefined;
    const end = performance.now() + DRAIN_SLICE_MS;
    while (pass.length > 0 && performance.now() <= end) {
      const id = pass.pop()!;
      if (this.dirty.has(id)) this.writeOut(id);
    }
    if (pass.length > 0) this.draining = setImmediate(() => this.drain(pass));
    else if (this.dirty.size > 0) this.markDirty();
  }

  // RootfsHost: what a ContainerRootfs asks of the store.
  record(containerId: string): Container {
    const c = this.o.container(containerId);
    // Removed while something still held its files: they are gone.
    if (!c) throw new FsError('ENOENT', `container ${containerId}`);
    return c;
  }

  sandbox(sandboxId: string): Sandbox | undefined {
    return this.o.sandbox(sandboxId);
  }

  procs(containerId: string): ProcSource | undefined {
    return this.o.procs?.(containerId);
  }

  stats(containerId: string): { memoryBytes: number; cpuUsageUsec: number } | undefined {
    return this.o.stats?.(containerId);
  }

  stateMount(): string {
    return this.o.containerfs.mountpoint;
  }

  lower(containerId: string): MemTree {
    return this.imageTree(this.record(containerId).imageId);
  }

  // One tree per image, shared by the containers that run it and the image
  // volumes that mount it. It outlives a RemoveImage while they use it, as
  // containerd's snapshots do.
  imageTree(imageId: string): MemTree {
    let tree = this.lowers.get(imageId);
    if (!tree) {
      const image = this.o.image(imageId);
      tree = new MemTree({ dev: 0x2f, readonly: true, now: () => this.now() });
      populateImage(tree, (this.o.imageFiles ?? defaultImageFiles)(image));
      this.lowers.set(imageId, tree);
    }
    return tree;
  }

  pod(sandboxId: string): PodFiles {
    let pod = this.pods.get(sandboxId);
    if (!pod) {
      pod = new PodFiles(() => this.o.sandbox(sandboxId));
      this.pods.set(sandboxId, pod);
    }
    return pod;
  }

  layer(containerId: string): WritableLayer {
    let layer = this.layers.get(containerId);
    if (!layer) {
      layer = this.makeLayer(containerId);
      this.layers.set(containerId, layer);
    }
    return layer;
  }

  private makeLayer(containerId: string): WritableLayer {
    const key = writableLayerKey(containerId);
    if (this.backend === 'host') return new HostLayer(this.o.containerfs as HostFilesystem, key);
    return new MemoryLayer(this.o.containerfs, key, containerId, this.layerHost);
  }

  private markDirty(containerId?: string): void {
    if (containerId !== undefined) this.dirty.add(containerId);
    if (!this.timer && !this.draining) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, this.o.flushIntervalMs ?? 3000);
      this.timer.unref();
    }
  }

  private file(containerId: string): string {
    return join(this.dir, `${containerId}.json`);
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }
}
