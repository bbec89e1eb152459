import type { MemInode, MemTree } from './memory-tree';
import type { Chunk, FileType, Fill } from './types';

// A memory tree as JSON, for a writable layer of the memory backend to
// survive a restart of fakecri. Fills stay Fills; bytes are base64. Hard
// links are kept (an inode is written once and named by its index).
//
// What changes after a snapshot goes to a journal beside it (journal.ts
// writes it): lines of inode records and directory entries, named by
// inode number, which each snapshot node carries (`i`). A journal counts
// only with the snapshot of its generation.

type PChunk = [start: number, data: string | Fill];

export interface PNode {
  t: FileType;
  m: number;
  u: number;
  g: number;
  a: number;
  mt: number;
  c: number;
  i?: number; // inode number, for the journal
  r?: number;
  l?: string; // symlink target
  e?: [string, number][]; // directory entries
  s?: number; // file size
  x?: PChunk[]; // file extents
}

export interface PersistedTree {
  version: 1;
  // The journal that continues this snapshot starts with this number.
  gen?: number;
  // What the tree takes, as it was counted (bytes in 4 KiB blocks, inodes
  // including the root).
  usage: { bytes: number; inodes: number };
  nodes: PNode[];
}

// One inode as the snapshot and the journal write it, without its entries.
export function nodeRecord(n: MemInode): PNode {
  const p: PNode = { t: n.type, m: n.mode, u: n.uid, g: n.gid, a: n.atimeMs, mt: n.mtimeMs, c: n.ctimeMs, i: n.ino };
  if (n.rdev) p.r = n.rdev;
  if (n.target !== undefined) p.l = n.target;
  if (n.content) {
    p.s = n.content.size;
    p.x = n.content.chunks().map(({ start, chunk }) => [start, chunk instanceof Uint8Array ? Buffer.from(chunk).toString('base64') : chunk]);
  }
  return p;
}

export function serializeTree(tree: MemTree, gen?: number): PersistedTree {
  const index = new Map<MemInode, number>();
  const nodes: PNode[] = [];
  let bytes = 0;
  const visit = (n: MemInode): number => {
    const known = index.get(n);
    if (known !== undefined) return known;
    const i = nodes.length;
    index.set(n, i);
    const p = nodeRecord(n);
    nodes.push(p);
    if (n.content) bytes += n.content.blocks * 4096;
    if (n.entries) p.e = [...n.entries].map(([name, child]) => [name, visit(child)]);
    return i;
  };
  visit(tree.root());
  return { version: 1, gen, usage: { bytes, inodes: nodes.length }, nodes };
}

// The journal's lines: its generation first, then inode records and entry
// changes, each a JSON array.
export type JournalLine = ['g', number] | ['n', number, PNode] | ['e', number, string, number | null];

// The snapshot with its journal applied: the tree as it was at the last
// line that was written whole. A journal of another generation (a crash
// between a new snapshot and the old journal's removal) is not applied.
export function applyJournal(data: PersistedTree, journal: string): PersistedTree {
  const lines = journal.split('\n');
  const head = parseLine(lines[0]);
  if (data.gen === undefined || !head || head[0] !== 'g' || head[1] !== data.gen) return data;
  const byIno = new Map<number, { p: PNode; e?: Map<string, number> }>();
  for (const p of data.nodes) {
    if (p.i === undefined) return data;
    byIno.set(p.i, { p, e: p.e ? new Map(p.e.map(([name, k]) => [name, data.nodes[k].i!])) : undefined });
  }
  for (let k = 1; k < lines.length; k++) {
    const line = parseLine(lines[k]);
    // A torn last line: the write that a crash cut short.
    if (!line) break;
    if (line[0] === 'n') {
      const old = byIno.get(line[1]);
      byIno.set(line[1], { p: line[2], e: line[2].t === 'dir' ? (old?.e ?? new Map()) : undefined });
    } else if (line[0] === 'e') {
      const dir = byIno.get(line[1])?.e;
      if (!dir) continue;
      if (line[3] === null) dir.delete(line[2]);
      else dir.set(line[2], line[3]);
    }
  }
  // Numbered again from the root: what no entry reaches any more is gone.
  const index = new Map<number, number>();
  const nodes: PNode[] = [];
  const order: number[] = [data.nodes[0].i!];
  index.set(order[0], 0);
  for (let k = 0; k < order.length; k++) {
    const { p, e } = byIno.get(order[k])!;
    const out: PNode = { ...p };
    delete out.e;
    nodes.push(out);
    if (!e) continue;
    out.e = [];
    for (const [name, ino] of e) {
      if (!byIno.has(ino)) continue;
      let at = index.get(ino);
      if (at === undefined) {
        at = order.length;
        index.set(ino, at);
        order.push(ino);
      }
      out.e.push([name, at]);
    }
  }
  const usage = usageOf({ version: 1, usage: data.usage, nodes });
  return { version: 1, gen: data.gen, usage, nodes };
}

// A line of the shape its kind has, or undefined: the journal is read up
// to the first one that is not.
function parseLine(text: string | undefined): JournalLine | undefined {
  if (!text) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || typeof v[1] !== 'number') return undefined;
  if (v[0] === 'g' && v.length === 2) return v as JournalLine;
  if (v[0] === 'n' && v.length === 3 && typeof v[2] === 'object' && v[2] !== null && typeof (v[2] as PNode).t === 'string') return v as JournalLine;
  if (v[0] === 'e' && v.length === 4 && typeof v[2] === 'string' && (v[3] === null || typeof v[3] === 'number')) return v as JournalLine;
  return undefined;
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
