// The container's view of its files: what its program, ExecSync and exec see.
// Paths are absolute container paths (callers join them with their cwd).
// Every operation is synchronous: the bytes it touches are bounded by the
// caller (applets write in blocks and yield between them), and a memory tree
// or a real file is faster to touch directly than through promises.

export type FsErrorCode =
  | 'ENOENT'
  | 'EEXIST'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'ENOTEMPTY'
  | 'EROFS'
  | 'ENOSPC'
  | 'EDQUOT'
  | 'EACCES'
  | 'EPERM'
  | 'EINVAL'
  | 'ELOOP'
  | 'EXDEV'
  | 'EBADF'
  | 'ENAMETOOLONG'
  | 'EFBIG'
  | 'EBUSY'
  | 'EMFILE'
  | 'EIO'
  | 'ENXIO'
  | 'ENODEV'
  | 'ESPIPE'
  | 'EPIPE'
  | 'ETXTBSY'
  | 'ENOTSUP';

// The texts busybox prints: glibc's strerror, as in docker's busybox
// (`latest` is its glibc build) and Debian's.
export const STRERROR: Record<FsErrorCode, string> = {
  ENOENT: 'No such file or directory',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ENOTEMPTY: 'Directory not empty',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EINVAL: 'Invalid argument',
  ELOOP: 'Too many levels of symbolic links',
  EXDEV: 'Invalid cross-device link',
  EBADF: 'Bad file descriptor',
  ENAMETOOLONG: 'File name too long',
  EFBIG: 'File too large',
  EBUSY: 'Device or resource busy',
  EMFILE: 'Too many open files',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  ENODEV: 'No such device',
  ESPIPE: 'Illegal seek',
  EPIPE: 'Broken pipe',
  ETXTBSY: 'Text file busy',
  ENOTSUP: 'Operation not supported',
};

// A failed file operation, as errno. `message` is the strerror text alone,
// so an applet prints `${applet}: ${path}: ${err.message}` as busybox does.
export class FsError extends Error {
  readonly code: FsErrorCode;
  readonly path: string;

  constructor(code: FsErrorCode, path = '') {
    // An errno, not a bug: thrown and caught by the thousand (a PATH lookup
    // misses in each directory before /bin), so it captures no stack.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(STRERROR[code]);
    Error.stackTraceLimit = limit;
    this.code = code;
    this.path = path;
    this.name = 'FsError';
  }
}

export const isFsError = (err: unknown, code?: FsErrorCode): err is FsError =>
  err instanceof FsError && (code === undefined || err.code === code);

export type FileType = 'file' | 'dir' | 'symlink' | 'chardev' | 'blockdev' | 'fifo' | 'socket';

export interface Stat {
  type: FileType;
  mode: number; // permission bits with setuid/setgid/sticky (0o7777), not the type
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  ino: number;
  dev: number;
  rdev: number;
  blocks: number; // 512-byte blocks allocated
  blksize: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
}

// Bytes a read gives or a write takes. A Fill stands for `length` bytes of
// zeros or of a deterministic pseudo-random stream, so that `dd
// if=/dev/urandom of=f bs=1M count=1024` costs O(1) memory where the backend
// keeps contents in memory. fillBytes() turns one into real bytes.
export interface Fill {
  fill: 'zero' | 'random';
  length: number;
  // For 'random': which stream, and where in it; the same seed and offset
  // give the same bytes.
  seed: number;
  offset: number;
}

export type Chunk = Uint8Array | Fill;

export const isFill = (c: Chunk): c is Fill => !(c instanceof Uint8Array);
export const chunkLength = (c: Chunk): number => (isFill(c) ? c.length : c.byteLength);

export interface OpenFlags {
  read?: boolean;
  write?: boolean;
  create?: boolean; // O_CREAT
  exclusive?: boolean; // O_EXCL
  truncate?: boolean; // O_TRUNC
  append?: boolean; // O_APPEND
  noFollow?: boolean; // O_NOFOLLOW
  directory?: boolean; // O_DIRECTORY
}

export interface FileHandle {
  readonly path: string;
  // Up to `length` bytes at `position` (default: the handle's offset, which
  // moves), or null at end of file. Device files may answer with a Fill.
  read(length: number, position?: number): Chunk | null;
  // Writes all of `data` at `position` (default: the offset, or the end with
  // append) and answers the bytes written. ENOSPC (or EDQUOT) writes nothing.
  write(data: Chunk, position?: number): number;
  stat(): Stat;
  truncate(size: number): void;
  // fallocate(2) mode 0: the range is allocated (and counted) without
  // changing what reads give; the size grows to cover it.
  allocate(offset: number, length: number): void;
  seek(offset: number): void;
  readonly offset: number;
  sync(): void;
  close(): void;
}

export interface StatFs {
  type: string; // "overlay", "tmpfs", "ext4", "proc"…
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

// One line of /proc/mounts.
export interface MountEntry {
  source: string;
  target: string; // container path
  type: string;
  options: string[]; // "rw"/"ro", "relatime", propagation ("shared", "slave", "private")…
}

// Who does the operation: permissions follow the file modes (root passes
// every check but execute on a file with no x bit).
export interface Caller {
  uid: number;
  gid: number;
  groups: readonly number[];
  // The calling process, for /proc/self.
  pid: number;
  // Bits taken from the mode of files and directories it creates (022 when absent).
  umask?: number;
}

export interface ContainerFs {
  stat(path: string): Stat; // follows symlinks
  lstat(path: string): Stat;
  // stat(path).type without the rest of a Stat: every command a shell runs
  // looks its name up so.
  typeOf(path: string): FileType;
  // mode: bit mask of R_OK 4, W_OK 2, X_OK 1 (0: existence).
  access(path: string, mode: number): void;
  readdir(path: string): string[]; // names, without . and ..
  mkdir(path: string, mode?: number): void;
  rmdir(path: string): void;
  unlink(path: string): void;
  rename(from: string, to: string): void;
  link(existing: string, path: string): void;
  symlink(target: string, path: string): void;
  readlink(path: string): string;
  realpath(path: string): string;
  chmod(path: string, mode: number): void;
  chown(path: string, uid: number, gid: number): void;
  utimes(path: string, atimeMs: number, mtimeMs: number): void;
  truncate(path: string, size: number): void;
  open(path: string, flags: OpenFlags, mode?: number): FileHandle;
  statfs(path: string): StatFs;
  mounts(): MountEntry[];
  // The caller's file mode creation mask (uuencode prints 0666 without it).
  readonly umask: number;
}
