import type { Attr, AttrChange, Backend, FileIo, NewNode, Node, Perms } from './backend';
import type { MemInode, MemTree } from './memory-tree';
import { type Caller, FsError, type StatFs } from './types';

// An image's files (a shared, read-only memory tree) under a container's
// writable layer, as overlayfs joins them: what the upper layer holds wins;
// the first write to a lower file copies it up; a deletion of a lower name
// leaves an AUFS-style whiteout `.wh.<name>` in the upper layer, and a
// directory made where a lower one was deleted is marked opaque with
// `.wh..wh..opq` so the lower one stays hidden. Like overlayfs without
// redirect_dir, renaming a directory that has lower contents is EXDEV (mv
// then copies). Names starting with `.wh.` are never shown.

export const WHITEOUT = '.wh.';
export const OPAQUE = '.wh..wh..opq';
// The file the `rootfs_write` behaviour grows, hidden from the container.
export const HIDDEN_WRITE = '.wh..fakecri-rootfs-write';

// Where the upper layer lives; `create` makes it on the first write.
export interface UpperLayer {
  backend(create: boolean): Backend | undefined;
  statfs(): StatFs;
}

interface ONode {
  parent?: ONode;
  name: string;
  upper?: Node;
  lower?: MemInode;
}

export class Overlay implements Backend {
  private readonly rootNode: ONode;

  constructor(
    private readonly lower: MemTree,
    private readonly layer: UpperLayer,
    readonly dev: number,
    readonly readonly: boolean,
  ) {
    this.rootNode = { name: '', lower: lower.root() };
  }

  root(): Node {
    return this.rootNode;
  }

  attr(node: Node): Attr {
    const n = node as ONode;
    const upper = this.upperOf(n);
    return upper ? this.layer.backend(false)!.attr(upper) : this.lower.attr(n.lower!);
  }

  perms(node: Node): Perms {
    const n = node as ONode;
    const upper = this.upperOf(n);
    if (!upper) return this.lower.perms(n.lower!);
    const up = this.layer.backend(false)!;
    return up.perms ? up.perms(upper) : up.attr(upper);
  }

  lookup(dir: Node, name: string): Node | undefined {
    if (name.startsWith(WHITEOUT)) return undefined;
    const d = dir as ONode;
    const up = this.layer.backend(false);
    const du = this.upperOf(d);
    if (up && du) {
      const u = up.lookup(du, name);
      if (u) {
        const lower = d.lower && up.attr(u).type === 'dir' && !up.lookup(u, OPAQUE) ? this.lowerDir(d.lower, name) : undefined;
        return { parent: d, name, upper: u, lower };
      }
      if (up.lookup(du, WHITEOUT + name) || (d.lower && up.lookup(du, OPAQUE))) return undefined;
    }
    const l = d.lower && this.lower.lookup(d.lower, name);
    return l ? { parent: d, name, lower: l } : undefined;
  }

  readdir(dir: Node): string[] {
    const d = dir as ONode;
    const names: string[] = [];
    const hidden = new Set<string>();
    const up = this.layer.backend(false);
    const du = this.upperOf(d);
    let opaque = false;
    if (up && du) {
      for (const n of up.readdir(du)) {
        if (n === OPAQUE) opaque = true;
        else if (n.startsWith(WHITEOUT)) hidden.add(n.slice(WHITEOUT.length));
        else {
          names.push(n);
          hidden.add(n);
        }
      }
    }
    if (d.lower && !opaque) for (const n of this.lower.readdir(d.lower)) if (!hidden.has(n)) names.push(n);
    return names;
  }

  create(dir: Node, name: string, spec: NewNode): Node {
    const d = dir as ONode;
    const up = this.upper();
    const du = this.copyUp(d);
    const whiteout = up.lookup(du, WHITEOUT + name);
    const n = up.create(du, name, spec);
    if (whiteout) {
      // A directory where a lower one was deleted must not show its contents.
      if (spec.type === 'dir') up.create(n, OPAQUE, { type: 'file', mode: 0, uid: 0, gid: 0 });
      up.remove(du, WHITEOUT + name);
    }
    return { parent: d, name, upper: n };
  }

  link(dir: Node, name: string, node: Node): void {
    const up = this.upper();
    const target = this.copyUp(node as ONode);
    const du = this.copyUp(dir as ONode);
    up.link(du, name, target);
    if (up.lookup(du, WHITEOUT + name)) up.remove(du, WHITEOUT + name);
  }

  remove(dir: Node, name: string): void {
    const d = dir as ONode;
    const node = this.lookup(d, name) as ONode | undefined;
    if (!node) throw new FsError('ENOENT', name);
    const up = this.upper();
    const du = this.copyUp(d);
    // The whiteout first: if it cannot be made, nothing changed.
    if (this.inLower(d, name)) up.create(du, WHITEOUT + name, { type: 'file', mode: 0, uid: 0, gid: 0 });
    if (node.upper) {
      if (up.attr(node.upper).type === 'dir') for (const n of up.readdir(node.upper)) up.remove(node.upper, n);
      up.remove(du, name);
    }
  }

  rename(fromDir: Node, fromName: string, toDir: Node, toName: string): void {
    const fd = fromDir as ONode;
    const td = toDir as ONode;
    const src = this.lookup(fd, fromName) as ONode | undefined;
    if (!src) throw new FsError('ENOENT', fromName);
    const up = this.upper();
    const isDir = this.attr(src).type === 'dir';
    if (isDir && src.lower) throw new FsError('EXDEV', fromName);
    const su = this.copyUp(src);
    const tu = this.copyUp(td);
    const fu = this.upperOf(fd)!;
    const target = this.lookup(td, toName) as ONode | undefined;
    const hadWhiteout = Boolean(up.lookup(tu, WHITEOUT + toName));
    if (this.inLower(fd, fromName)) up.create(fu, WHITEOUT + fromName, { type: 'file', mode: 0, uid: 0, gid: 0 });
    // A directory replaced keeps only whiteouts in the upper layer: clear them.
    if (target?.upper && up.attr(target.upper).type === 'dir') for (const n of up.readdir(target.upper)) up.remove(target.upper, n);
    up.rename(fu, fromName, tu, toName);
    if (hadWhiteout) up.remove(tu, WHITEOUT + toName);
    if (isDir && (hadWhiteout || this.inLower(td, toName)) && !up.lookup(su, OPAQUE)) {
      up.create(su, OPAQUE, { type: 'file', mode: 0, uid: 0, gid: 0 });
    }
  }

  readlink(node: Node, caller?: Caller): string {
    const n = node as ONode;
    const upper = this.upperOf(n);
    return upper ? this.layer.backend(false)!.readlink(upper, caller) : this.lower.readlink(n.lower!);
  }

  setattr(node: Node, change: AttrChange): void {
    this.upper().setattr(this.copyUp(node as ONode), change);
  }

  open(node: Node, write: boolean): FileIo {
    const n = node as ONode;
    if (write) return this.upper().open(this.copyUp(n), true);
    const upper = this.upperOf(n);
    return upper ? this.layer.backend(false)!.open(upper, false) : this.lower.open(n.lower!, false);
  }

  statfs(): StatFs {
    return { ...this.layer.statfs(), type: 'overlay' };
  }

  private upper(): Backend {
    return this.layer.backend(true)!;
  }

  // The node's upper half, looked up again when an earlier lookup found
  // none: another path may have copied it up since.
  private upperOf(n: ONode): Node | undefined {
    if (n.upper) return n.upper;
    const up = this.layer.backend(false);
    if (!up) return undefined;
    if (!n.parent) return (n.upper = up.root());
    const pu = this.upperOf(n.parent);
    const u = pu && up.lookup(pu, n.name);
    if (u) n.upper = u;
    return u;
  }

  // Does the lower layer show `name` in `dir` (not hidden by an opaque dir)?
  private inLower(dir: ONode, name: string): boolean {
    if (!dir.lower) return false;
    const du = this.upperOf(dir);
    const up = this.layer.backend(false);
    if (du && up?.lookup(du, OPAQUE)) return false;
    return this.lower.lookup(dir.lower, name) !== undefined;
  }

  private lowerDir(dir: MemInode, name: string): MemInode | undefined {
    const l = this.lower.lookup(dir, name);
    return l?.type === 'dir' ? l : undefined;
  }

  // Copies a lower node (and its parents) into the upper layer.
  private copyUp(n: ONode): Node {
    const found = this.upperOf(n);
    if (found) return found;
    const up = this.upper();
    if (!n.parent) return (n.upper = up.root());
    const pu = this.copyUp(n.parent);
    const l = n.lower!;
    const a = this.lower.attr(l);
    const base = { mode: a.mode, uid: a.uid, gid: a.gid };
    let u: Node;
    if (a.type === 'dir') u = up.create(pu, n.name, { type: 'dir', ...base });
    else if (a.type === 'symlink') u = up.create(pu, n.name, { type: 'symlink', ...base, target: l.target });
    else if (a.type === 'file') {
      u = up.create(pu, n.name, { type: 'file', ...base });
      try {
        const io = up.open(u, true);
        try {
          for (const { start, chunk } of l.content!.chunks()) io.write(start, chunk);
          if (io.size() !== a.size) io.truncate(a.size);
        } finally {
          io.close();
        }
      } catch (err) {
        up.remove(pu, n.name);
        throw err;
      }
    } else {
      u = up.create(pu, n.name, { type: a.type === 'chardev' ? 'chardev' : 'fifo', ...base, rdev: a.rdev });
    }
    up.setattr(u, { atimeMs: a.atimeMs, mtimeMs: a.mtimeMs });
    n.upper = u;
    return u;
  }
}
