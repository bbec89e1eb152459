import type { Attr, Backend, FileIo, Node } from './backend';
import { type Caller, FsError, type StatFs } from './types';

// A read-only tree whose contents are made when read: /proc, /sys/fs/cgroup.
// Nothing is kept per container but the closures that describe it.
export type Synth = SynthDir | SynthFile | SynthLink;

interface Owner {
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface SynthDir extends Owner {
  type: 'dir';
  list(): string[];
  get(name: string): Synth | undefined;
}

export interface SynthFile extends Owner {
  type: 'file';
  read(): string;
}

export interface SynthLink extends Owner {
  type: 'symlink';
  target(caller?: Caller): string;
}

interface SNode {
  s: Synth;
  path: string;
}

// A directory of fixed entries.
export function dir(entries: Record<string, Synth | (() => Synth)>, owner: Owner = {}): SynthDir {
  return {
    type: 'dir',
    ...owner,
    list: () => Object.keys(entries),
    get: (name) => {
      if (!Object.hasOwn(entries, name)) return undefined;
      const e = entries[name];
      return typeof e === 'function' ? e() : e;
    },
  };
}

export const file = (read: () => string, owner: Owner = {}): SynthFile => ({ type: 'file', read, ...owner });
export const link = (target: (caller?: Caller) => string): SynthLink => ({ type: 'symlink', target });

const BOOT_MS = Date.now();

// FNV-1a of the path: the same file has the same inode number every time.
function inoOf(path: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193);
  return (h >>> 0) + 1;
}

export class SynthFs implements Backend {
  readonly readonly = true;
  private readonly rootNode: SNode;

  constructor(
    root: SynthDir,
    readonly dev: number,
    private readonly fsType: string,
  ) {
    this.rootNode = { s: root, path: '' };
  }

  root(): Node {
    return this.rootNode;
  }

  attr(node: Node): Attr {
    const { s, path } = node as SNode;
    const mode = s.mode ?? (s.type === 'dir' ? 0o555 : s.type === 'file' ? 0o444 : 0o777);
    return {
      type: s.type,
      mode,
      uid: s.uid ?? 0,
      gid: s.gid ?? 0,
      size: 0,
      nlink: s.type === 'dir' ? 2 : 1,
      ino: inoOf(path),
      rdev: 0,
      blocks: 0,
      atimeMs: BOOT_MS,
      mtimeMs: BOOT_MS,
      ctimeMs: BOOT_MS,
    };
  }

  lookup(dir: Node, name: string): Node | undefined {
    const d = dir as SNode;
    if (d.s.type !== 'dir') return undefined;
    const s = d.s.get(name);
    return s && { s, path: `${d.path}/${name}` };
  }

  readdir(dir: Node): string[] {
    const d = (dir as SNode).s;
    return d.type === 'dir' ? d.list() : [];
  }

  create(): Node {
    throw new FsError('EROFS');
  }

  link(): void {
    throw new FsError('EROFS');
  }

  remove(): void {
    throw new FsError('EROFS');
  }

  rename(): void {
    throw new FsError('EROFS');
  }

  readlink(node: Node, caller?: Caller): string {
    const s = (node as SNode).s;
    return s.type === 'symlink' ? s.target(caller) : '';
  }

  setattr(): void {
    throw new FsError('EROFS');
  }

  open(node: Node, write: boolean): FileIo {
    const s = (node as SNode).s;
    if (write || s.type !== 'file') throw new FsError(write ? 'EROFS' : 'EISDIR');
    // The text is taken once per open, as the kernel's seq_file does.
    let text: Uint8Array | undefined;
    const bytes = () => (text ??= Buffer.from(s.read()));
    return {
      read: (position, length) => {
        const b = bytes();
        if (position >= b.length) return null;
        return b.slice(position, position + length);
      },
      write: () => {
        throw new FsError('EROFS');
      },
      size: () => 0,
      truncate: () => {
        throw new FsError('EROFS');
      },
      allocate: () => {
        throw new FsError('EROFS');
      },
      sync: () => {},
      close: () => {},
    };
  }

  statfs(): StatFs {
    return { type: this.fsType, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 };
  }
}
