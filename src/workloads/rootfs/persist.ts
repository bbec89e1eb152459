import type { MemInode, MemTree } from './memory-tree';
import type { Chunk, FileType, Fill } from './types';

// A memory tree as JSON, for a writable layer of the memory backend to
// survive a restart of fakecri. Fills stay Fills; bytes are base64. Hard
// links are kept (an inode is written once and named by its index).

type PChunk = [start: number, data: string | Fill];

interface PNode {
  t: FileType;
  m: number;
  u: number;
  g: number;
  a: number;
  mt: number;
  c: number;
  r?: number;
  l?: string; // symlink target
  e?: [string, number][]; // directory entries
  s?: number; // file size
  x?: PChunk[]; // file extents
}

export interface PersistedTree {
  version: 1;
  // What the tree takes, as it was counted (bytes in 4 KiB blocks, inodes
  // including the root).
  usage: { bytes: number; inodes: number };
  nodes: PNode[];
}

export function serializeTree(tree: MemTree): PersistedTree {
  const index = new Map<MemInode, number>();
  const nodes: PNode[] = [];
  let bytes = 0;
  const visit = (n: MemInode): number => {
    const known = index.get(n);
    if (known !== undefined) return known;
    const i = nodes.length;
    index.set(n, i);
    const p: PNode = { t: n.type, m: n.mode, u: n.uid, g: n.gid, a: n.atimeMs, mt: n.mtimeMs, c: n.ctimeMs };
    nodes.push(p);
    if (n.rdev) p.r = n.rdev;
    if (n.target !== undefined) p.l = n.target;
    if (n.content) {
      p.s = n.content.size;
      p.x = n.content.chunks().map(({ start, chunk }) => [start, chunk instanceof Uint8Array ? Buffer.from(chunk).toString('base64') : chunk]);
      bytes += n.content.blocks * 4096;
    }
    if (n.entries) p.e = [...n.entries].map(([name, child]) => [name, visit(child)]);
    return i;
  };
  visit(tree.root());
  return { version: 1, usage: { bytes, inodes: nodes.length }, nodes };
}

// Rebuilds into `tree`, a fresh tree whose space counts nothing yet (the
// layer's usage was adopted from the record).
export function loadTree(tree: MemTree, data: PersistedTree): void {
  const made = new Map<number, MemInode>();
  const times: [MemInode, PNode][] = [];
  const fill = (n: MemInode, p: PNode) => {
    n.mode = p.m;
    n.uid = p.u;
    n.gid = p.g;
    times.push([n, p]);
    for (const [start, data] of p.x ?? []) {
      const chunk: Chunk = typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'base64')) : data;
      tree.writeAt(n, start, chunk);
    }
    if (p.s !== undefined && p.s !== n.content!.size) tree.truncateTo(n, p.s);
    for (const [name, i] of p.e ?? []) {
      const existing = made.get(i);
      if (existing) {
        tree.link(n, name, existing);
        continue;
      }
      const c = data.nodes[i];
      const child = tree.create(n, name, { type: c.t as 'file', mode: c.m, uid: c.u, gid: c.g, rdev: c.r, target: c.l });
      made.set(i, child);
      fill(child, c);
    }
  };
  made.set(0, tree.root());
  fill(tree.root(), data.nodes[0]);
  for (const [n, p] of times) {
    n.atimeMs = p.a;
    n.mtimeMs = p.mt;
    n.ctimeMs = p.c;
  }
}

// What a persisted tree takes, counted from its nodes as the live tree
// counts: each inode once, files by the 4 KiB blocks their extents touch.
export function usageOf(data: PersistedTree): { bytes: number; inodes: number } {
  let blocks = 0;
  for (const n of data.nodes) {
    let last = 0; // blocks before `last` are counted
    for (const [start, d] of n.x ?? []) {
      const len = typeof d === 'string' ? Buffer.byteLength(d, 'base64') : d.length;
      const from = Math.max(Math.floor(start / 4096), last);
      const to = Math.ceil((start + len) / 4096);
      if (to > from) blocks += to - from;
      last = Math.max(last, to);
    }
  }
  return { bytes: blocks * 4096, inodes: data.nodes.length };
}

export const isPersistedTree = (v: unknown): v is PersistedTree =>
  typeof v === 'object' && v !== null && (v as PersistedTree).version === 1 && Array.isArray((v as PersistedTree).nodes);
