import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Filesystem, ObjectSize } from '../../vfs/filesystem';
import { NoSpaceError } from '../../vfs/filesystem';
import type { HostFilesystem } from '../../vfs/host-backend';
import type { Backend } from './backend';
import { BLOCK } from './content';
import { HostDir, hostError } from './host-dir';
import { LayerJournal, readPersisted, removePersisted, writeAtomic } from './journal';
import { MemTree } from './memory-tree';
import { HIDDEN_WRITE, type UpperLayer } from './overlay';
import { loadTree, serializeTree, usageOf } from './persist';
import type { Space } from './space';
import { FsError, type StatFs } from './types';

// A container's writable layer: the upper half of its overlay, counted in
// the containerfs Filesystem as one object (the `diff` directory) whose
// bytes and inodes are charged as they are written.
export interface WritableLayer extends UpperLayer {
  usage(): ObjectSize;
  // Appends `bytes` to a hidden file (the rootfs_write behaviour): all or
  // nothing, ENOSPC when they do not fit. Answers how to take them back.
  grow(bytes: number): () => void;
  // Writes out what only memory holds (memory backend); a no-op otherwise.
  flush(): void;
  readonly dirty: boolean;
  // Frees all of it, on disk and in the accounts: in the accounts at once,
  // on disk when the promise settles (a host tree, through the thread pool).
  remove(): Promise<void> | undefined;
}

// Upper inode numbers start far above an image tree's.
const UPPER_FIRST_INO = 1 << 24;

function statfsOf(fs: Filesystem): StatFs {
  const c = fs.capacity();
  const blocks = Math.floor(c.capacityBytes / BLOCK);
  const bfree = Math.max(0, Math.floor(c.availableBytes / BLOCK));
  return { type: 'overlay', bsize: BLOCK, blocks, bfree, bavail: bfree, files: c.inodes, ffree: Math.max(0, c.inodesFree) };
}

// Appends zeros to the hidden file; answers how to take them back.
function grow(up: Backend, bytes: number): () => void {
  const root = up.root();
  const existing = up.lookup(root, HIDDEN_WRITE);
  const node = existing ?? up.create(root, HIDDEN_WRITE, { type: 'file', mode: 0o600, uid: 0, gid: 0 });
  let size = 0;
  const undo = () => {
    if (!existing) return up.remove(root, HIDDEN_WRITE);
    const io = up.open(node, true);
    try {
      io.truncate(size);
    } finally {
      io.close();
    }
  };
  try {
    const io = up.open(node, true);
    try {
      size = io.size();
      io.write(size, { fill: 'zero', length: bytes, seed: 0, offset: 0 });
    } finally {
      io.close();
    }
  } catch (err) {
    if (!existing) up.remove(root, HIDDEN_WRITE);
    throw err;
  }
  return undo;
}

// What a memory layer asks of its store, one object for all of them: a
// layer kept per container then holds no closures or path of its own.
export interface LayerHost {
  // Where the container's layer is persisted.
  file(containerId: string): string;
  // The layer changed: to be written out soon.
  dirty(containerId: string): void;
  now: () => number;
}

// The memory backend: a memory tree, charged to the Filesystem's capacity,
// persisted as JSON in the state directory when it changed (journal.ts).
export class MemoryLayer implements WritableLayer {
  private tree?: MemTree;
  private loaded = false;
  private journal?: LayerJournal;
  dirty = false;

  constructor(
    private readonly fs: Filesystem,
    private readonly key: string,
    private readonly containerId: string,
    private readonly host: LayerHost,
  ) {}

  private get file(): string {
    return this.host.file(this.containerId);
  }

  private get now(): () => number {
    return this.host.now;
  }

  // At CreateContainer: the empty layer is its root directory, one inode.
  static create(fs: Filesystem, key: string): void {
    fs.charge(key, 0, 1);
  }

  // After a restart: what the persisted tree takes, or what an older
  // fakecri's record says (`rootfsBytes` written by rootfs_write).
  static measure(file: string, recordBytes: number): ObjectSize {
    const data = readPersisted(file);
    if (data) return usageOf(data);
    return recordBytes > 0 ? { bytes: Math.ceil(recordBytes / BLOCK) * BLOCK, inodes: 2 } : { bytes: 0, inodes: 1 };
  }

  // An older fakecri kept only a byte count: it becomes the hidden file.
  static migrate(file: string, recordBytes: number, now: () => number = Date.now): void {
    if (recordBytes <= 0 || existsSync(file)) return;
    const tree = new MemTree({ dev: 0, firstIno: UPPER_FIRST_INO, chargeRoot: false, now });
    grow(tree, recordBytes);
    writeAtomic(file, JSON.stringify(serializeTree(tree)));
  }

  backend(create: boolean): Backend | undefined {
    if (!this.loaded) this.load();
    if (!this.tree && create) this.tree = this.newTree();
    return this.tree;
  }

  statfs(): StatFs {
    return statfsOf(this.fs);
  }

  usage(): ObjectSize {
    return this.fs.sizeOf(this.key) ?? { bytes: 0, inodes: 0 };
  }

  grow(bytes: number): () => void {
    return grow(this.backend(true)!, bytes);
  }

  flush(): void {
    if (!this.dirty || !this.tree) return;
    this.dirty = false;
    this.journal!.write(this.tree, this.file);
  }

  remove(): undefined {
    this.tree = undefined;
    this.loaded = true;
    this.dirty = false;
    this.fs.remove(this.key);
    removePersisted(this.file);
    return undefined;
  }

  private newTree(): MemTree {
    return new MemTree({ dev: 0, firstIno: UPPER_FIRST_INO, chargeRoot: false, space: this.space(), now: this.now, watcher: this.watcher() });
  }

  private load(): void {
    this.loaded = true;
    const data = readPersisted(this.file);
    if (!data) return;
    // Built uncounted: its usage was adopted at start-up.
    const tree = new MemTree({ dev: 0, firstIno: UPPER_FIRST_INO, chargeRoot: false, now: this.now });
    loadTree(tree, data);
    tree.space = this.space();
    tree.watcher = this.watcher();
    this.tree = tree;
  }

  // A tree of this layer's, built or loaded, starts with a snapshot.
  private watcher(): LayerJournal {
    return (this.journal = new LayerJournal(() => this.changed()));
  }

  private changed(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.host.dirty(this.containerId);
  }

  private space(): Space {
    return {
      charge: (bytes, inodes) => {
        try {
          this.fs.charge(this.key, bytes, inodes);
        } catch (err) {
          if (err instanceof NoSpaceError) throw new FsError('ENOSPC');
          throw err;
        }
      },
      credit: (bytes, inodes) => this.fs.charge(this.key, -bytes, -inodes),
      statfs: () => statfsOf(this.fs),
    };
  }
}

// The host backend: real files in <containerfs>/fakecri/containers/<id>/diff,
// where du and cAdvisor see them; every change charged as du would count it.
export class HostLayer implements WritableLayer {
  private dir?: HostDir;
  readonly dirty = false;

  constructor(
    private readonly fs: HostFilesystem,
    private readonly key: string,
  ) {}

  static create(fs: HostFilesystem, key: string): void {
    const path = fs.hostPath(key);
    mkdirSync(path, { recursive: true });
    fs.charge(key, lstatSync(path).blocks * 512, 1);
  }

  // After a restart: what the diff directory holds, as du counts it
  // (st_blocks, each inode once). An older fakecri kept a `data` file of
  // rootfs_write bytes there: it becomes the hidden file.
  static measure(fs: HostFilesystem, key: string, recordBytes: number): ObjectSize {
    const root = fs.hostPath(key);
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      return { bytes: 0, inodes: 1 };
    }
    if (names.length === 1 && names[0] === 'data') {
      const st = lstatSync(join(root, 'data'));
      if (st.isFile() && st.size === recordBytes) renameSync(join(root, 'data'), join(root, HIDDEN_WRITE));
    }
    const seen = new Set<number>();
    let bytes = 0;
    let inodes = 0;
    const walk = (path: string) => {
      const st = lstatSync(path);
      if (seen.has(st.ino)) return;
      seen.add(st.ino);
      bytes += st.blocks * 512;
      inodes++;
      if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    };
    walk(root);
    return { bytes, inodes };
  }

  backend(_create: boolean): Backend {
    if (!this.dir) {
      const path = this.fs.hostPath(this.key);
      try {
        mkdirSync(path, { recursive: true });
      } catch (err) {
        throw hostError(err, path);
      }
      this.dir = new HostDir(path, false, { charge: (bytes, inodes) => this.fs.charge(this.key, bytes, inodes) });
    }
    return this.dir;
  }

  statfs(): StatFs {
    return this.backend(false).statfs();
  }

  usage(): ObjectSize {
    return this.fs.sizeOf(this.key) ?? { bytes: 0, inodes: 0 };
  }

  grow(bytes: number): () => void {
    return grow(this.backend(true), bytes);
  }

  flush(): void {}

  remove(): Promise<void> | undefined {
    this.dir = undefined;
    return this.fs.remove(this.key);
  }
}
