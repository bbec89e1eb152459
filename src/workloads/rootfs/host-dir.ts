import {
  type Stats,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  chmodSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  statfsSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Attr, AttrChange, Backend, FileIo, NewNode, Node } from './backend';
import { randomFill } from './fill';
import { type Chunk, type FileType, FsError, type FsErrorCode, STRERROR, type StatFs, chunkLength, isFill } from './types';

// A real host directory as a mounted filesystem: a CRI mount's host_path,
// or a container's writable layer (…/containers/<id>/diff). Nodes are host
// paths the path walk built one component at a time, each found by lstat,
// so the OS never follows a symlink here: symlinks go back to the walk,
// which resolves them in container space. Nothing reaches outside the root.
interface HostNode {
  path: string;
  st?: Stats; // from the lookup that found it, used once
}

// Counts what the writable layer holds, as du counts it: allocated bytes
// (st_blocks) and inodes.
export interface Meter {
  charge(bytes: number, inodes: number): void;
}

const PIECE = 1 << 20;
const ZEROS = new Uint8Array(PIECE);
const scratch = new Uint8Array(PIECE);

const FS_TYPES: Record<number, string> = {
  0x01021994: 'tmpfs',
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x794c7630: 'overlay',
  0x6969: 'nfs',
  0x2fc12fc1: 'zfs',
};

export function hostError(err: unknown, path = ''): FsError {
  if (err instanceof FsError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return new FsError(code && code in STRERROR ? (code as FsErrorCode) : 'EIO', path);
}

function host<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw hostError(err, path);
  }
}

const typeOf = (st: Stats): FileType =>
  st.isDirectory()
    ? 'dir'
    : st.isSymbolicLink()
      ? 'symlink'
      : st.isCharacterDevice()
        ? 'chardev'
        : st.isBlockDevice()
          ? 'blockdev'
          : st.isFIFO()
            ? 'fifo'
            : st.isSocket()
              ? 'socket'
              : 'file';

export class HostDir implements Backend {
  readonly dev: number;
  private readonly rootNode: HostNode;

  constructor(
    readonly rootPath: string,
    readonly readonly = false,
    private readonly meter?: Meter,
  ) {
    const st = host(rootPath, () => lstatSync(rootPath));
    this.dev = st.dev;
    this.rootNode = { path: rootPath };
  }

  root(): Node {
    return this.rootNode;
  }

  attr(node: Node): Attr {
    const n = node as HostNode;
    const st = n.st ?? host(n.path, () => lstatSync(n.path));
    n.st = undefined;
    return {
      type: typeOf(st),
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: st.size,
      nlink: st.nlink,
      ino: st.ino,
      rdev: st.rdev,
      blocks: st.blocks,
      atimeMs: st.atimeMs,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
    };
  }

  lookup(dir: Node, name: string): Node | undefined {
    const path = join((dir as HostNode).path, name);
    const st = host(path, () => lstatSync(path, { throwIfNoEntry: false }));
    return st && { path, st };
  }

  readdir(dir: Node): string[] {
    const path = (dir as HostNode).path;
    return host(path, () => readdirSync(path));
  }

  create(dir: Node, name: string, spec: NewNode): Node {
    const path = join((dir as HostNode).path, name);
    host(path, () => {
      switch (spec.type) {
        case 'file': {
          const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o600);
          try {
            ownFd(fd, spec.uid, spec.gid);
            fchmodSync(fd, spec.mode);
          } finally {
            closeSync(fd);
          }
          break;
        }
        case 'dir':
          mkdirSync(path, 0o700);
          own(path, spec.uid, spec.gid);
          chmodSync(path, spec.mode);
          break;
        case 'symlink':
          symlinkSync(spec.target ?? '', path);
          own(path, spec.uid, spec.gid);
          break;
        default:
          // mknod needs a device cgroup rule no container is given.
          throw new FsError('EPERM', path);
      }
    });
    const st = host(path, () => lstatSync(path));
    this.meter?.charge(st.blocks * 512, 1);
    return { path };
  }

  link(dir: Node, name: string, node: Node): void {
    const path = join((dir as HostNode).path, name);
    host(path, () => linkSync((node as HostNode).path, path));
  }

  remove(dir: Node, name: string): void {
    const path = join((dir as HostNode).path, name);
    const st = host(path, () => lstatSync(path));
    host(path, () => (st.isDirectory() ? rmdirSync(path) : unlinkSync(path)));
    this.freed(st);
  }

  rename(fromDir: Node, fromName: string, toDir: Node, toName: string): void {
    const from = join((fromDir as HostNode).path, fromName);
    const to = join((toDir as HostNode).path, toName);
    const replaced = host(to, () => lstatSync(to, { throwIfNoEntry: false }));
    host(to, () => renameSync(from, to));
    if (replaced) this.freed(replaced);
  }

  readlink(node: Node): string {
    const path = (node as HostNode).path;
    return host(path, () => readlinkSync(path));
  }

  setattr(node: Node, change: AttrChange): void {
    const path = (node as HostNode).path;
    host(path, () => {
      const st = lstatSync(path);
      if (change.uid !== undefined || change.gid !== undefined) lchownSync(path, change.uid ?? st.uid, change.gid ?? st.gid);
      // chmod(2) on a symlink would change its target: the walk never asks.
      if (change.mode !== undefined && !st.isSymbolicLink()) chmodSync(path, change.mode);
      if (change.atimeMs !== undefined || change.mtimeMs !== undefined) {
        lutimesSync(path, (change.atimeMs ?? st.atimeMs) / 1000, (change.mtimeMs ?? st.mtimeMs) / 1000);
      }
    });
  }

  open(node: Node, write: boolean): FileIo {
    const path = (node as HostNode).path;
    const fd = host(path, () => openSync(path, (write ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NOFOLLOW));
    let closed = false;
    return {
      read: (position, length) => {
        const buf = new Uint8Array(Math.min(length, 16 * PIECE));
        const n = host(path, () => readSync(fd, buf, 0, buf.length, position));
        return n === 0 && length > 0 ? null : buf.subarray(0, n);
      },
      write: (position, data) => this.writeAll(fd, path, position, data),
      size: () => host(path, () => fstatSync(fd).size),
      truncate: (size) => this.resize(fd, path, size),
      allocate: (offset, length) => this.allocate(fd, path, offset, length),
      sync: () => host(path, () => fsyncSync(fd)),
      close: () => {
        if (closed) return;
        closed = true;
        closeSync(fd);
      },
    };
  }

  statfs(): StatFs {
    const s = host(this.rootPath, () => statfsSync(this.rootPath));
    return { type: FS_TYPES[s.type] ?? 'ext4', bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree };
  }

  // All of `data` at `position`, or nothing: a write that fails (ENOSPC from
  // a full disk) is undone, the file cut back to its size and the bytes it
  // overwrote put back.
  private writeAll(fd: number, path: string, position: number, data: Chunk): void {
    const len = chunkLength(data);
    if (len === 0) return;
    const before = host(path, () => fstatSync(fd));
    this.ensureRoom(path, before, position, len);
    const overlap = Math.max(0, Math.min(before.size, position + len) - position);
    let saved: Uint8Array | undefined;
    if (overlap > 0) {
      saved = new Uint8Array(overlap);
      readSync(fd, saved, 0, overlap, position);
    }
    try {
      for (let done = 0; done < len; ) {
        const n = Math.min(PIECE, len - done);
        const piece = piecesOf(data, done, n);
        let off = 0;
        while (off < n) off += writeSync(fd, piece, off, n - off, position + done + off);
        done += n;
      }
    } catch (err) {
      try {
        if (saved) writeSync(fd, saved, 0, saved.length, position);
        ftruncateSync(fd, before.size);
      } catch {
        // Undo as much as the disk allows.
      }
      throw hostError(err, path);
    }
    this.recount(fd, path, before);
  }

  private resize(fd: number, path: string, size: number): void {
    const before = host(path, () => fstatSync(fd));
    host(path, () => ftruncateSync(fd, size));
    this.recount(fd, path, before);
  }

  // fallocate(2) is not in Node: write zeros where the range is past the
  // end, which allocates the same blocks (and reads the same).
  private allocate(fd: number, path: string, offset: number, length: number): void {
    const before = host(path, () => fstatSync(fd));
    const end = offset + length;
    if (end <= before.size) return;
    const from = Math.max(offset, before.size);
    if (from > before.size) host(path, () => ftruncateSync(fd, from));
    this.writeAll(fd, path, from, { fill: 'zero', length: end - from, seed: 0, offset: 0 });
  }

  // Refuses up front, from statfs, a write that would need more blocks than
  // are available to an unprivileged writer (bavail).
  private ensureRoom(path: string, st: Stats, position: number, len: number): void {
    const grow = Math.max(0, position + len - Math.max(st.size, st.blocks * 512));
    if (grow === 0) return;
    const s = host(path, () => statfsSync(this.rootPath));
    if (grow > s.bavail * s.bsize) throw new FsError('ENOSPC', path);
  }

  private recount(fd: number, path: string, before: Stats): void {
    if (!this.meter) return;
    const after = host(path, () => fstatSync(fd));
    const delta = (after.blocks - before.blocks) * 512;
    if (delta !== 0 && after.nlink > 0) this.meter.charge(delta, 0);
  }

  private freed(st: Stats): void {
    if (this.meter && (st.isDirectory() || st.nlink <= 1)) this.meter.charge(-st.blocks * 512, -1);
  }
}

// Bytes for [offset, offset+n) of a chunk, in a buffer that is valid until
// the next call.
function piecesOf(data: Chunk, offset: number, n: number): Uint8Array {
  if (!isFill(data)) return data.subarray(offset, offset + n);
  if (data.fill === 'zero') return ZEROS;
  const out = scratch.subarray(0, n);
  randomFill(out, data.seed, data.offset + offset);
  return out;
}

// Ownership as asked; fakecri not running as root keeps its own.
function own(path: string, uid: number, gid: number): void {
  try {
    lchownSync(path, uid, gid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
}

function ownFd(fd: number, uid: number, gid: number): void {
  try {
    fchownSync(fd, uid, gid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
}
