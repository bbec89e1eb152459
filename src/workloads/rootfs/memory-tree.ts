import type { Attr, AttrChange, Backend, FileIo, NewNode, Node, Perms } from './backend';
import { BLOCK, Content } from './content';
import { type Space, unlimitedSpace } from './space';
import { type Chunk, type FileType, type StatFs, chunkLength } from './types';

// One inode of a memory tree. Directories hold their entries, files their
// Content, symlinks their target.
export class MemInode {
  nlink: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  entries?: Map<string, MemInode>;
  content?: Content;
  target?: string;
  opens = 0;
  freed = false;

  constructor(
    readonly ino: number,
    readonly type: FileType,
    public mode: number,
    public uid: number,
    public gid: number,
    now: number,
    readonly rdev = 0,
  ) {
    this.nlink = type === 'dir' ? 2 : 1;
    this.atimeMs = this.mtimeMs = this.ctimeMs = now;
    if (type === 'dir') this.entries = new Map();
    if (type === 'file') this.content = new Content();
  }

  get size(): number {
    if (this.content) return this.content.size;
    if (this.target !== undefined) return Buffer.byteLength(this.target);
    return 0;
  }
}

export interface MemTreeOptions {
  dev: number;
  space?: Space;
  now?: () => number;
  readonly?: boolean;
  // Inode numbers start here (the overlay keeps upper and lower apart).
  firstIno?: number;
  // Whether the root directory takes an inode from the space (a writable
  // layer's root was counted when the container was created).
  chargeRoot?: boolean;
  // Told of every change (a persisted tree records them).
  watcher?: TreeWatcher;
}

// What changed in a tree: an inode (its attributes or contents), or the
// name `name` in a directory (made, replaced or gone).
export interface TreeWatcher {
  changed(n: MemInode): void;
  named(dir: MemInode, name: string): void;
}

// A filesystem held in memory, as tmpfs: contents as extents of bytes and
// Fills, allocation counted in 4 KiB blocks against a Space.
export class MemTree implements Backend {
  readonly dev: number;
  readonly readonly: boolean;
  space: Space;
  watcher?: TreeWatcher;
  private readonly now: () => number;
  private nextIno: number;
  private readonly rootNode: MemInode;

  constructor(options: MemTreeOptions) {
    this.dev = options.dev;
    this.readonly = options.readonly ?? false;
    this.space = options.space ?? unlimitedSpace('tmpfs');
    this.now = options.now ?? Date.now;
    this.nextIno = options.firstIno ?? 2;
    this.rootNode = new MemInode(this.nextIno++, 'dir', 0o755, 0, 0, this.now());
    if (options.chargeRoot !== false) this.space.charge(0, 1);
    this.watcher = options.watcher;
  }

  root(): MemInode {
    return this.rootNode;
  }

  attr(node: Node): Attr {
    const n = node as MemInode;
    return {
      type: n.type,
      mode: n.mode,
      uid: n.uid,
      gid: n.gid,
      size: n.size,
      nlink: n.nlink,
      ino: n.ino,
      rdev: n.rdev,
      blocks: n.content ? (n.content.blocks * BLOCK) / 512 : 0,
      atimeMs: n.atimeMs,
      mtimeMs: n.mtimeMs,
      ctimeMs: n.ctimeMs,
    };
  }

  // The inode has the fields itself.
  perms(node: Node): Perms {
    return node as MemInode;
  }

  lookup(dir: Node, name: string): MemInode | undefined {
    return (dir as MemInode).entries?.get(name);
  }

  readdir(dir: Node): string[] {
    return [...((dir as MemInode).entries?.keys() ?? [])];
  }

  create(dir: Node, name: string, spec: NewNode): MemInode {
    const d = dir as MemInode;
    this.space.charge(0, 1);
    const node = new MemInode(this.nextIno++, spec.type, spec.mode & 0o7777, spec.uid, spec.gid, this.now(), spec.rdev ?? 0);
    if (spec.type === 'symlink') node.target = spec.target ?? '';
    d.entries!.set(name, node);
    if (spec.type === 'dir') d.nlink++;
    this.watcher?.changed(node);
    this.named(d, name);
    return node;
  }

  link(dir: Node, name: string, node: Node): void {
    const n = node as MemInode;
    (dir as MemInode).entries!.set(name, n);
    n.nlink++;
    n.ctimeMs = this.now();
    this.watcher?.changed(n);
    this.named(dir as MemInode, name);
  }

  remove(dir: Node, name: string): void {
    const d = dir as MemInode;
    const n = d.entries!.get(name);
    if (!n) return;
    d.entries!.delete(name);
    if (n.type === 'dir') {
      d.nlink--;
      n.nlink = 0;
    } else {
      n.nlink--;
    }
    n.ctimeMs = this.now();
    this.watcher?.changed(n);
    this.named(d, name);
    this.release(n);
  }

  rename(fromDir: Node, fromName: string, toDir: Node, toName: string): void {
    const from = fromDir as MemInode;
    const to = toDir as MemInode;
    const n = from.entries!.get(fromName)!;
    if (to.entries!.get(toName) === n) return;
    if (to.entries!.has(toName)) this.remove(to, toName);
    from.entries!.delete(fromName);
    to.entries!.set(toName, n);
    if (n.type === 'dir' && from !== to) {
      from.nlink--;
      to.nlink++;
    }
    n.ctimeMs = this.now();
    this.watcher?.changed(n);
    this.named(from, fromName);
    this.named(to, toName);
  }

  readlink(node: Node): string {
    return (node as MemInode).target ?? '';
  }

  setattr(node: Node, change: AttrChange): void {
    const n = node as MemInode;
    if (change.mode !== undefined) n.mode = change.mode & 0o7777;
    if (change.uid !== undefined) n.uid = change.uid;
    if (change.gid !== undefined) n.gid = change.gid;
    if (change.atimeMs !== undefined) n.atimeMs = change.atimeMs;
    if (change.mtimeMs !== undefined) n.mtimeMs = change.mtimeMs;
    n.ctimeMs = this.now();
    this.watcher?.changed(n);
  }

  open(node: Node, _write: boolean): FileIo {
    const n = node as MemInode;
    n.opens++;
    let closed = false;
    return {
      read: (position, length) => n.content!.read(position, length),
      write: (position, data) => this.writeAt(n, position, data),
      size: () => n.content!.size,
      truncate: (size) => this.truncateTo(n, size),
      allocate: (offset, length) => {
        this.space.charge(n.content!.growth(offset, length) * BLOCK, 0);
        n.content!.allocate(offset, length);
        n.ctimeMs = this.now();
        this.watcher?.changed(n);
      },
      sync: () => {},
      close: () => {
        if (closed) return;
        closed = true;
        n.opens--;
        this.release(n);
      },
    };
  }

  statfs(): StatFs {
    return this.space.statfs();
  }

  // Writes at `position`, charging new blocks first: ENOSPC writes nothing.
  writeAt(n: MemInode, position: number, data: Chunk): void {
    const len = chunkLength(data);
    if (len === 0) return;
    this.space.charge(n.content!.growth(position, len) * BLOCK, 0);
    n.content!.write(position, data);
    n.mtimeMs = n.ctimeMs = this.now();
    this.watcher?.changed(n);
  }

  truncateTo(n: MemInode, size: number): void {
    const freed = n.content!.truncate(size);
    if (freed) this.space.credit(freed * BLOCK, 0);
    n.mtimeMs = n.ctimeMs = this.now();
    this.watcher?.changed(n);
  }

  // An inode nothing names and nobody has open gives its space back.
  private release(n: MemInode): void {
    if (n.nlink > 0 || n.opens > 0 || n.freed) return;
    n.freed = true;
    if (n.content) {
      this.space.credit(n.content.blocks * BLOCK, 1);
      n.content = new Content();
    } else {
      this.space.credit(0, 1);
    }
    if (n.entries) for (const name of [...n.entries.keys()]) this.remove(n, name);
  }

  // A name in `dir` changed: so did the directory's times.
  private named(dir: MemInode, name: string): void {
    dir.mtimeMs = dir.ctimeMs = this.now();
    const w = this.watcher;
    if (!w) return;
    w.changed(dir);
    w.named(dir, name);
  }
}

export const isMemInode = (n: Node): n is MemInode => n instanceof MemInode;
