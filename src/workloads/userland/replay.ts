import type { Chunk, ContainerFs, FileHandle, OpenFlags, Stat } from '../rootfs/types';
import type { OutStream } from '../procs/types';

// After a restart of fakecri a container's program runs again from its
// start, fast up to the present (ProgramClock). What it did then is done
// already: its files are on the disk and its lines in the log. So while the
// clock replays, writes go nowhere and reads see the files as they are now.

export function replayingFs(fs: ContainerFs, replaying: () => boolean): ContainerFs {
  const skip =
    <A extends unknown[]>(op: (...a: A) => void) =>
    (...a: A): void => {
      if (!replaying()) op(...a);
    };
  return {
    stat: (p) => fs.stat(p),
    lstat: (p) => fs.lstat(p),
    access: (p, m) => fs.access(p, m),
    readdir: (p) => fs.readdir(p),
    readlink: (p) => fs.readlink(p),
    realpath: (p) => fs.realpath(p),
    statfs: (p) => fs.statfs(p),
    mounts: () => fs.mounts(),
    mkdir: skip((p: string, m?: number) => fs.mkdir(p, m)),
    rmdir: skip((p: string) => fs.rmdir(p)),
    unlink: skip((p: string) => fs.unlink(p)),
    rename: skip((a: string, b: string) => fs.rename(a, b)),
    link: skip((a: string, b: string) => fs.link(a, b)),
    symlink: skip((a: string, b: string) => fs.symlink(a, b)),
    chmod: skip((p: string, m: number) => fs.chmod(p, m)),
    chown: skip((p: string, u: number, g: number) => fs.chown(p, u, g)),
    utimes: skip((p: string, a: number, m: number) => fs.utimes(p, a, m)),
    truncate: skip((p: string, n: number) => fs.truncate(p, n)),
    open: (p, flags, mode) => {
      const writes = flags.write || flags.create || flags.truncate || flags.append;
      if (!writes || !replaying()) return fs.open(p, flags, mode);
      return droppedWrites(p, () => fs.open(p, { read: true }));
    },
  };
}

// A handle opened for writing during the replay: writes are counted as done
// and kept nowhere; reads see the file as it is (or nothing, if it is not).
function droppedWrites(path: string, openReal: () => FileHandle): FileHandle {
  let real: FileHandle | undefined;
  try {
    real = openReal();
  } catch {
    real = undefined;
  }
  let offset = 0;
  const none: Stat = { type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, nlink: 1, ino: 0, dev: 0, rdev: 0, blocks: 0, blksize: 4096, atimeMs: 0, mtimeMs: 0, ctimeMs: 0 };
  return {
    path,
    get offset() {
      return offset;
    },
    read: (length, position) => {
      const c = real?.read(length, position ?? offset) ?? null;
      if (c && position === undefined) offset += c instanceof Uint8Array ? c.byteLength : c.length;
      return c;
    },
    write: (data: Chunk, position) => {
      const n = data instanceof Uint8Array ? data.byteLength : data.length;
      if (position === undefined) offset += n;
      return n;
    },
    stat: () => real?.stat() ?? none,
    truncate: () => {},
    allocate: () => {},
    seek: (o) => {
      offset = o;
    },
    sync: () => {},
    close: () => real?.close(),
  };
}

export function replayingOut(out: OutStream, replaying: () => boolean): OutStream {
  return { write: (data) => (replaying() ? Promise.resolve() : out.write(data)), isTTY: out.isTTY };
}
