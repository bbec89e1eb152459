import type { Caller, Chunk, FileType, StatFs } from './types';

// What the container's path walk (view.ts) asks of one mounted filesystem:
// the memory tree, the overlay of an image and a writable layer, a host
// directory, /proc. Backends do mechanics only. Permission checks, symlink
// resolution, mount crossing and the errno of bad requests (EEXIST, EISDIR,
// ENOTEMPTY…) are the walk's, so every backend behaves the same.
// Nodes are opaque to the walk; each backend knows its own.
export type Node = object;

export interface Attr {
  type: FileType;
  mode: number; // 0o7777 bits
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  ino: number;
  rdev: number;
  blocks: number; // 512-byte blocks
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
}

export type Perms = Pick<Attr, 'type' | 'mode' | 'uid' | 'gid'>;

export interface NewNode {
  type: 'file' | 'dir' | 'symlink' | 'chardev' | 'fifo';
  mode: number;
  uid: number;
  gid: number;
  rdev?: number;
  target?: string; // symlinks
}

export interface AttrChange {
  mode?: number;
  uid?: number;
  gid?: number;
  atimeMs?: number;
  mtimeMs?: number;
}

// An open regular file. Writes are all or nothing: ENOSPC changes nothing.
export interface FileIo {
  read(position: number, length: number): Chunk | null;
  write(position: number, data: Chunk): void;
  size(): number;
  truncate(size: number): void;
  allocate(offset: number, length: number): void;
  sync(): void;
  close(): void;
}

export interface Backend {
  readonly dev: number;
  readonly readonly: boolean;
  root(): Node;
  attr(node: Node): Attr;
  // What a path walk checks of each directory it passes (type and
  // permission bits), without building a whole Attr: the walk does this
  // for every component of every path. Read at once, never kept.
  perms?(node: Node): Perms;
  lookup(dir: Node, name: string): Node | undefined;
  readdir(dir: Node): string[];
  // `name` does not exist in `dir`; the walk checked.
  create(dir: Node, name: string, spec: NewNode): Node;
  link(dir: Node, name: string, node: Node): void;
  // Removes the entry `name` (a directory only when empty: the walk checked).
  remove(dir: Node, name: string): void;
  // Moves an entry, replacing what `toName` held (of a compatible type).
  rename(fromDir: Node, fromName: string, toDir: Node, toName: string): void;
  // `caller` for links that depend on who asks (/proc/self).
  readlink(node: Node, caller?: Caller): string;
  setattr(node: Node, change: AttrChange): void;
  open(node: Node, write: boolean): FileIo;
  statfs(): StatFs;
}
