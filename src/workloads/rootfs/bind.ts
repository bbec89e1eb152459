import type { Attr, AttrChange, Backend, FileIo, NewNode, Node } from './backend';
import type { Caller, StatFs } from './types';

// Part of a backend mounted elsewhere: a bind mount of one of its
// directories or files (/dev/pts from the /dev tree, a sandbox's
// /etc/hosts), with its own read-only flag.
export class Bind implements Backend {
  readonly dev: number;

  constructor(
    private readonly inner: Backend,
    private readonly at: Node,
    readonly readonly: boolean,
    private readonly fsType?: string,
  ) {
    this.dev = inner.dev;
  }

  root(): Node {
    return this.at;
  }
  attr(node: Node): Attr {
    return this.inner.attr(node);
  }
  lookup(dir: Node, name: string): Node | undefined {
    return this.inner.lookup(dir, name);
  }
  readdir(dir: Node): string[] {
    return this.inner.readdir(dir);
  }
  create(dir: Node, name: string, spec: NewNode): Node {
    return this.inner.create(dir, name, spec);
  }
  link(dir: Node, name: string, node: Node): void {
    this.inner.link(dir, name, node);
  }
  remove(dir: Node, name: string): void {
    this.inner.remove(dir, name);
  }
  rename(fromDir: Node, fromName: string, toDir: Node, toName: string): void {
    this.inner.rename(fromDir, fromName, toDir, toName);
  }
  readlink(node: Node, caller?: Caller): string {
    return this.inner.readlink(node, caller);
  }
  setattr(node: Node, change: AttrChange): void {
    this.inner.setattr(node, change);
  }
  open(node: Node, write: boolean): FileIo {
    return this.inner.open(node, write);
  }
  statfs(): StatFs {
    const s = this.inner.statfs();
    return this.fsType ? { ...s, type: this.fsType } : s;
  }
}
