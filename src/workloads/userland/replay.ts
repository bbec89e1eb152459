import type { Chunk, ContainerFs, FileHandle, FileType, OpenFlags, Stat } from '../rootfs/types';
import type { OutStream } from '../procs/types';

// After a restart of fakecri a container's program runs again from its
// start, fast up to where it had got (ProgramClock). What it did then is
// done already: its files are on the disk and its lines in the log. So its
// writes made before then (replaying(), asked once per write) go nowhere,
// and reads see the files as they are now.

export function replayingFs(fs: ContainerFs, replaying: () => boolean): ContainerFs {
  return new ReplayingFs(fs, replaying);
}

// A class, not an object of closures: every process has one.
class ReplayingFs implements ContainerFs {
  constructor(
    private readonly fs: ContainerFs,
    private readonly replaying: () => boolean,
  ) {}

  get umask(): number {
    return this.fs.umask;
  }
  stat(p: string): Stat {
    return this.fs.stat(p);
  }
  lstat(p: string): Stat {
    return this.fs.lstat(p);
  }
  typeOf(p: string): FileType {
    return this.fs.typeOf(p);
  }
  access(p: string, m: number): void {
    this.fs.access(p, m);
  }
  readdir(p: string): ReturnType<ContainerFs['readdir']> {
    return this.fs.readdir(p);
  }
  readlink(p: string): string {
    return this.fs.readlink(p);
  }
  realpath(p: string): string {
    return this.fs.realpath(p);
  }
  statfs(p: string): ReturnType<ContainerFs['statfs']> {
    return this.fs.statfs(p);
  }
  mounts(): ReturnType<ContainerFs['mounts']> {
    return this.fs.mounts();
  }
  mkdir(p: string, m?: number): void {
    if (!this.replaying()) this.fs.mkdir(p, m);
  }
  rmdir(p: string): void {
    if (!this.replaying()) this.fs.rmdir(p);
  }
  unlink(p: string): void {
    if (!this.replaying()) this.fs.unlink(p);
  }
  rename(a: string, b: string): void {
    if (!this.replaying()) this.fs.rename(a, b);
  }
  link(a: string, b: string): void {
    if (!this.replaying()) this.fs.link(a, b);
  }
  symlink(a: string, b: string): void {
    if (!this.replaying()) this.fs.symlink(a, b);
  }
  chmod(p: string, m: number): void {
    if (!this.replaying()) this.fs.chmod(p, m);
  }
  chown(p: string, u: number, g: number): void {
    if (!this.replaying()) this.fs.chown(p, u, g);
  }
  utimes(p: string, a: number, m: number): void {
    if (!this.replaying()) this.fs.utimes(p, a, m);
  }
  truncate(p: string, n: number): void {
    if (!this.replaying()) this.fs.truncate(p, n);
  }
  open(p: string, flags: OpenFlags, mode?: number): FileHandle {
    const writes = flags.write || flags.create || flags.truncate || flags.append;
    if (!writes || !this.replaying()) return this.fs.open(p, flags, mode);
    return droppedWrites(p, () => this.fs.open(p, { read: true }));
  }
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
  return { write: (data) => (replaying() ? Promise.resolve() : out.write(data)), isTTY: out.isTTY, tty: out.tty };
}
