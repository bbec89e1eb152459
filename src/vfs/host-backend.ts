import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, statfsSync } from 'node:fs';
import { open, opendir, rm, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { type Capacity, type Filesystem, type LiveSize, NoSpaceError, type ObjectSize, type Usage, type WriteOptions, paceDelay } from './filesystem';
import { sleep } from '../domain/sleep';
import { Accounts } from './accounts';

const CHUNK = 8 * 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);
// Files removed at once through the thread pool.
const BATCH = 64;
// How long empty files are made at a stretch before the event loop turns.
const CREATE_SLICE_MS = 1;

// Real bytes in a directory the user provides, typically a size-limited
// tmpfs or a loop-mounted ext4/xfs. Every byte is written, never left as a
// hole: the kubelet measures with statfs and block counts, which ignore holes.
// Objects live under <path>/fakecri/; an object of one inode is a file, one of
// more is a directory holding `data` and empty files.
export class HostFilesystem implements Filesystem {
  readonly backend = 'host';
  private readonly accounts = new Accounts();
  private readonly root: string;

  constructor(
    readonly name: string,
    readonly mountpoint: string,
  ) {
    this.root = join(mountpoint, 'fakecri');
    mkdirSync(this.root, { recursive: true });
  }

  private path(key: string): string {
    return join(this.root, key);
  }

  private dataPath(key: string, inodes: number): string {
    return inodes > 1 ? join(this.path(key), 'data') : this.path(key);
  }

  async write(key: string, bytes: number, options: WriteOptions = {}, inodes = 1): Promise<void> {
    const existing = this.accounts.entry(key);
    const objectInodes = existing?.inodes ?? inodes;
    const path = this.dataPath(key, objectInodes);
    const { availableBytes, inodesFree } = this.capacity();
    if (bytes > availableBytes || (!existing && inodes > inodesFree)) throw new NoSpaceError(this.name, path);
    const startSize = existing?.bytes ?? 0;
    const undo = this.accounts.reserve(key, bytes, inodes);
    try {
      if (!existing) await this.createObject(key, inodes);
      const handle = await open(path, 'r+');
      try {
        const started = Date.now();
        let done = 0;
        while (done < bytes) {
          const n = Math.min(CHUNK, bytes - done);
          await handle.write(ZEROS, 0, n, startSize + done);
          done += n;
          const wait = paceDelay(done, started, options.bytesPerSecond);
          if (wait > 0) await sleep(wait, options.signal);
          else if (options.signal?.aborted) throw options.signal.reason;
        }
      } finally {
        await handle.close();
      }
    } catch (err) {
      // All or nothing: give back what this write took, on disk and in the accounts.
      undo();
      if (existing) truncate(path, startSize);
      else rmSync(this.path(key), { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new NoSpaceError(this.name, path);
      throw err;
    }
  }

  // An unpacked image layer has thousands of empty files. They are made
  // here a millisecond at a time, the event loop turning in between:
  // through the thread pool (two round trips a file) 32,768 took 0.7 to
  // 0.9 s on tmpfs, this way 0.3 s.
  private async createObject(key: string, inodes: number): Promise<void> {
    const path = this.path(key);
    mkdirSync(inodes > 1 ? path : dirname(path), { recursive: true });
    closeSync(openSync(this.dataPath(key, inodes), 'w'));
    for (let i = 0; i < inodes - 2; ) {
      const until = performance.now() + CREATE_SLICE_MS;
      while (i < inodes - 2 && performance.now() < until) closeSync(openSync(join(path, `f${i++}`), 'w'));
      if (i < inodes - 2) await new Promise((r) => setImmediate(r));
    }
  }

  // The owner wrote (or freed) these bytes on this disk already.
  charge(key: string, bytes: number, inodes: number): void {
    this.accounts.add(key, bytes, inodes);
  }

  // A directory (an unpacked image layer, a writable layer) may hold
  // hundreds of thousands of files: removed through the thread pool, and the
  // promise says when they are gone.
  remove(key: string): Promise<void> | undefined {
    if (!this.accounts.remove(key)) return undefined;
    const path = this.path(key);
    let gone: Promise<void> | undefined;
    if (isDirectory(path)) gone = this.removeTree(path);
    else rmSync(path, { recursive: true, force: true });
    // Directories the object needed, and nothing else holds, go with it.
    for (let dir = dirname(path); dir.startsWith(`${this.root}/`); dir = dirname(dir)) {
      try {
        rmdirSync(dir);
      } catch {
        break;
      }
    }
    return gone;
  }

  // Renamed out of the way at once, so that the key is free for a new
  // object; what a crash leaves of it is no object's, and goes at the next
  // start (removeUnknown).
  private removeTree(path: string): Promise<void> | undefined {
    const doomed = join(this.root, `.removing-${randomBytes(6).toString('hex')}`);
    try {
      renameSync(path, doomed);
    } catch {
      rmSync(path, { recursive: true, force: true });
      return undefined;
    }
    return unlinkTree(doomed).catch(() => rm(doomed, { recursive: true, force: true }).catch(() => {}));
  }

  // The host directory of `key` (for the crio personality's storage root).
  hostPath(key: string): string {
    return this.path(key);
  }

  sizeOf(key: string): ObjectSize | undefined {
    return this.accounts.sizeOf(key);
  }

  entry(key: string): LiveSize | undefined {
    return this.accounts.entry(key);
  }

  keys(prefix = ''): string[] {
    return this.accounts.keys(prefix);
  }

  usage(): Usage {
    return this.accounts.usage();
  }

  capacity(): Capacity {
    const s = statfsSync(this.mountpoint);
    return {
      capacityBytes: s.blocks * s.bsize,
      availableBytes: s.bavail * s.bsize,
      inodes: s.files,
      inodesFree: s.ffree,
    };
  }

  restore(expected: Map<string, ObjectSize>, trees: ReadonlySet<string> = new Set()): string[] {
    const problems: string[] = [];
    for (const [key, size] of expected) {
      if (trees.has(key)) {
        mkdirSync(this.path(key), { recursive: true });
        this.accounts.adopt(key, size);
        continue;
      }
      const path = this.dataPath(key, size.inodes);
      let actual: number;
      try {
        actual = statSync(path).size;
      } catch {
        problems.push(`${path} is missing (${this.name} object ${key} of ${size.bytes} bytes)`);
        continue;
      }
      if (actual < size.bytes) {
        problems.push(`${path} is truncated: ${actual} of ${size.bytes} bytes`);
        continue;
      }
      // A write that finished on disk but was never acknowledged.
      if (actual > size.bytes) truncate(path, size.bytes);
      this.accounts.adopt(key, size);
    }
    // With problems start-up stops: leave the disk as it is, to be looked at.
    if (problems.length === 0) this.removeUnknown(this.root);
    return problems;
  }

  // Files no state refers to: a pull or a write cut short by a crash.
  private removeUnknown(dir: string, parents = this.parentDirs()): void {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const key = relative(this.root, path);
      if (this.accounts.has(key)) continue;
      if (entry.isDirectory() && parents.has(key)) this.removeUnknown(path, parents);
      else rmSync(path, { recursive: true, force: true });
    }
  }

  private parentDirs(): Set<string> {
    const dirs = new Set<string>();
    for (const key of this.accounts.keys()) {
      for (let d = dirname(key); d !== '.' && !dirs.has(d); d = dirname(d)) dirs.add(d);
    }
    return dirs;
  }
}

// A batch of files at a time: fs.promises.rm starts all of a directory's
// unlinks at once, and their completions, hundreds of thousands, then run
// back to back on the event loop (20,000 held an RPC for 300 ms).
async function unlinkTree(dir: string): Promise<void> {
  const entries = await opendir(dir, { bufferSize: BATCH });
  let batch: Promise<void>[] = [];
  for await (const e of entries) {
    const path = join(dir, e.name);
    batch.push(e.isDirectory() ? unlinkTree(path) : unlink(path));
    if (batch.length === BATCH) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  await rmdir(dir);
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

function truncate(path: string, size: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

