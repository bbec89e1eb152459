import type { Backend, Node } from '../workloads/rootfs/backend';
import { randomFill } from '../workloads/rootfs/fill';
import { HIDDEN_WRITE, OPAQUE, WHITEOUT } from '../workloads/rootfs/overlay';
import { FsError, isFill } from '../workloads/rootfs/types';
import { type TarEntry, TarFormatError, type TarReader, type TarWriter } from './tar';

// The writable layer as CRI-O exports it: rootfs-diff.tar holds what the
// container added or changed (names relative to its root), deleted.files
// the absolute paths it deleted from the image. fakecri's upper layer is an
// overlay upper with AUFS-style whiteouts, so the diff is the upper tree
// itself: whiteouts become deleted paths, everything else an entry.

const PIECE = 64 * 1024;
// Restored files are written in bigger pieces: fewer extents in a memory layer.
const RESTORE_PIECE = 1024 * 1024;
const ZEROS = Buffer.alloc(RESTORE_PIECE);

// Called between pieces of data: throws to stop (a timeout, a cancel), and
// answers a promise when the caller should yield to the event loop.
export type Progress = (bytes: number) => void | Promise<void>;

export interface DiffSummary {
  entries: number;
  bytes: number;
  deleted: string[];
}

// Streams the upper layer `up` into `w` as tar entries, reading files a
// piece at a time (a Fill is made into bytes one piece at a time too).
export async function writeRootfsDiff(up: Backend | undefined, w: TarWriter, progress: Progress): Promise<DiffSummary> {
  const out: DiffSummary = { entries: 0, bytes: 0, deleted: [] };
  if (!up) return out;
  const firstName = new Map<number, string>();
  const piece = Buffer.alloc(PIECE);
  const walk = async (dir: Node, rel: string): Promise<void> => {
    for (const name of up.readdir(dir).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (name === OPAQUE || name === HIDDEN_WRITE) continue;
      if (name.startsWith(WHITEOUT)) {
        out.deleted.push(`/${rel ? `${rel}/` : ''}${name.slice(WHITEOUT.length)}`);
        continue;
      }
      const node = up.lookup(dir, name);
      if (!node) continue;
      const a = up.attr(node);
      const base = { name: path, mode: a.mode, uid: a.uid, gid: a.gid, mtimeMs: a.mtimeMs, size: 0 };
      out.entries++;
      if (a.type === 'dir') {
        w.header({ ...base, type: 'dir' });
        await walk(node, path);
      } else if (a.type === 'symlink') {
        w.header({ ...base, type: 'symlink', linkname: up.readlink(node) });
      } else if (a.type === 'file') {
        const first = a.nlink > 1 ? firstName.get(a.ino) : undefined;
        if (first !== undefined) {
          w.header({ ...base, type: 'link', linkname: first });
          continue;
        }
        if (a.nlink > 1) firstName.set(a.ino, path);
        await writeFile(up, node, a.size, w, { ...base, type: 'file', size: a.size }, piece, progress);
        out.bytes += a.size;
      } else if (a.type === 'chardev' || a.type === 'blockdev' || a.type === 'fifo') {
        w.header({ ...base, type: a.type, devmajor: a.rdev >> 8, devminor: a.rdev & 0xff });
      }
      // Sockets are not archived, as tar skips them.
    }
  };
  await walk(up.root(), '');
  return out;
}

async function writeFile(
  up: Backend,
  node: Node,
  size: number,
  w: TarWriter,
  header: Parameters<TarWriter['header']>[0],
  piece: Buffer,
  progress: Progress,
): Promise<void> {
  w.header(header);
  const io = up.open(node, false);
  try {
    let pos = 0;
    while (pos < size) {
      const chunk = io.read(pos, Math.min(PIECE, size - pos));
      if (chunk === null) break;
      let bytes: Uint8Array;
      if (isFill(chunk)) {
        bytes = piece.subarray(0, chunk.length);
        if (chunk.fill === 'random') randomFill(bytes, chunk.seed, chunk.offset);
        else bytes.fill(0);
      } else bytes = chunk;
      if (bytes.byteLength === 0) break;
      w.data(bytes);
      pos += bytes.byteLength;
      await progress(bytes.byteLength);
    }
    // A file that shrank while it was read is padded to the size its header gave.
    if (pos < size) {
      for (let left = size - pos; left > 0; left -= PIECE) w.data(Buffer.alloc(Math.min(PIECE, left)));
    }
  } finally {
    io.close();
  }
  w.end(size);
}

// A name from an archive, as path components inside the container's root:
// "..", absolute escapes and whiteout names are refused.
export function safeComponents(name: string): string[] {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) return [];
  for (const p of parts) {
    if (p === '..') throw new TarFormatError(`"${name}" in rootfs-diff.tar leaves the container's root`);
    if (p.startsWith(WHITEOUT)) throw new TarFormatError(`"${name}" in rootfs-diff.tar is an overlay whiteout name`);
  }
  return parts;
}

// Makes each directory of `parts` that is missing (mode 0755, root), as tar
// -x makes the parents of an entry; answers the last one.
function parentDir(fs: Backend, parts: string[]): Node {
  let dir = fs.root();
  for (const p of parts) {
    let next = fs.lookup(dir, p);
    if (next && fs.attr(next).type !== 'dir') {
      removeTree(fs, dir, p);
      next = undefined;
    }
    dir = next ?? fs.create(dir, p, { type: 'dir', mode: 0o755, uid: 0, gid: 0 });
  }
  return dir;
}

function removeTree(fs: Backend, dir: Node, name: string): void {
  const node = fs.lookup(dir, name);
  if (!node) return;
  if (fs.attr(node).type === 'dir') for (const child of fs.readdir(node)) removeTree(fs, node, child);
  fs.remove(dir, name);
}

function lookupPath(fs: Backend, parts: string[]): Node | undefined {
  let n: Node | undefined = fs.root();
  for (const p of parts) {
    n = n && fs.lookup(n, p);
    if (!n) return undefined;
  }
  return n;
}

// Applies rootfs-diff.tar (read by `r`) onto the container's root `fs` (its
// overlay, so that writes land in the writable layer), then deletes the
// paths of deleted.files, as CRI-O's restore does (CRApplyRootFsDiffTar,
// then CRRemoveDeletedFiles). Pieces of zeros are written as zero Fills: a
// restored file of zeros costs no memory in the memory backend.
export async function applyRootfsDiff(r: TarReader | undefined, deleted: string[], fs: Backend, progress: Progress): Promise<DiffSummary> {
  const out: DiffSummary = { entries: 0, bytes: 0, deleted: [] };
  for (let e = r?.next(); r && e; e = r.next()) {
    const parts = safeComponents(e.name);
    if (parts.length === 0) continue;
    const name = parts[parts.length - 1];
    const dir = parentDir(fs, parts.slice(0, -1));
    const existing = fs.lookup(dir, name);
    out.entries++;
    if (e.type === 'dir') {
      if (existing && fs.attr(existing).type === 'dir') {
        fs.setattr(existing, { mode: e.mode, uid: e.uid, gid: e.gid, mtimeMs: e.mtimeMs, atimeMs: e.mtimeMs });
        continue;
      }
      if (existing) removeTree(fs, dir, name);
      const n = fs.create(dir, name, { type: 'dir', mode: e.mode & 0o7777, uid: e.uid, gid: e.gid });
      fs.setattr(n, { mtimeMs: e.mtimeMs, atimeMs: e.mtimeMs });
      continue;
    }
    if (existing) removeTree(fs, dir, name);
    const attrs = { mode: e.mode & 0o7777, uid: e.uid, gid: e.gid };
    if (e.type === 'link') {
      const target = lookupPath(fs, safeComponents(e.linkname ?? ''));
      if (!target) throw new TarFormatError(`hard link "${e.name}" names "${e.linkname}", which the archive did not hold before it`);
      fs.link(dir, name, target);
    } else if (e.type === 'symlink') {
      fs.create(dir, name, { type: 'symlink', ...attrs, target: e.linkname ?? '' });
    } else if (e.type === 'chardev' || e.type === 'fifo') {
      fs.create(dir, name, { type: e.type, ...attrs, rdev: ((e.devmajor ?? 0) << 8) | (e.devminor ?? 0) });
    } else if (e.type === 'file') {
      const n = fs.create(dir, name, { type: 'file', ...attrs });
      await restoreFile(r, e, fs, n, progress);
      out.bytes += e.size;
      fs.setattr(n, { mtimeMs: e.mtimeMs, atimeMs: e.mtimeMs });
    }
    // Block devices are not made in a container's root, as an unprivileged tar -x does not.
  }
  for (const path of deleted) {
    const parts = safeComponents(path);
    if (parts.length === 0) continue;
    let dir: Node | undefined = fs.root();
    for (const p of parts.slice(0, -1)) dir = dir && fs.lookup(dir, p);
    if (!dir || !fs.lookup(dir, parts[parts.length - 1])) continue;
    removeTree(fs, dir, parts[parts.length - 1]);
    out.deleted.push(path);
  }
  return out;
}

async function restoreFile(r: TarReader, e: TarEntry, fs: Backend, node: Node, progress: Progress): Promise<void> {
  const io = fs.open(node, true);
  try {
    let pos = 0;
    for (const piece of r.data(e, RESTORE_PIECE)) {
      const zero = piece.equals(ZEROS.subarray(0, piece.length));
      io.write(pos, zero ? { fill: 'zero', length: piece.length, seed: 0, offset: 0 } : Uint8Array.from(piece));
      pos += piece.length;
      await progress(piece.length);
    }
  } catch (err) {
    if (err instanceof FsError) throw new FsError(err.code, e.name);
    throw err;
  } finally {
    io.close();
  }
}
