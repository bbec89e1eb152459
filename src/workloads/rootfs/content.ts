import { randomFill } from './fill';
import { type Chunk, type Fill, chunkLength, isFill } from './types';

// A regular file's contents as sorted, non-overlapping extents of bytes or
// Fills; gaps are holes (read as zeros, not allocated). A file written from
// /dev/zero or /dev/urandom stays a handful of Fills whatever its size.
// Allocation is counted in 4 KiB blocks, as tmpfs and ext4 count them for du.

export const BLOCK = 4096;
const MAX_GROW = 1 << 20; // a bytes extent grows in place up to this size

interface Extent {
  start: number;
  len: number;
  data?: Uint8Array; // bytes; data.byteLength may exceed len while cap allows growth
  cap: number; // how far data may grow in place (bytes extents)
  fill?: Fill;
}

const blockOf = (pos: number): number => Math.floor(pos / BLOCK);
const blockEnd = (pos: number): number => Math.ceil(pos / BLOCK);

export class Content {
  private extents: Extent[] = [];
  size = 0;
  blocks = 0; // allocated 4 KiB blocks

  // Blocks a write or fallocate of [pos, pos+len) would add.
  growth(pos: number, len: number): number {
    if (len <= 0) return 0;
    const b0 = blockOf(pos);
    const b1 = blockEnd(pos + len);
    return b1 - b0 - this.allocatedIn(b0, b1);
  }

  // Writes `chunk` at `pos`; the caller has charged growth() for it.
  write(pos: number, chunk: Chunk): void {
    const len = chunkLength(chunk);
    if (len === 0) return;
    const added = this.growth(pos, len);
    this.cut(pos, pos + len);
    const i = this.indexAfter(pos);
    if (!this.appendTo(i - 1, pos, chunk)) {
      const ext: Extent = isFill(chunk)
        ? { start: pos, len, fill: { ...chunk }, cap: len }
        : { start: pos, len, data: chunk.slice(), cap: len };
      // The first extent, in an array of its size: a splice into [] makes
      // room for 17, which was a fifth of what a small file kept.
      if (this.extents.length === 0) this.extents = [ext];
      else this.extents.splice(i, 0, ext);
    }
    this.blocks += added;
    this.size = Math.max(this.size, pos + len);
  }

  // Up to `len` bytes at `pos`, or null at or past the end. One Fill when the
  // range lies in one Fill or hole, real bytes otherwise.
  read(pos: number, len: number): Chunk | null {
    if (pos >= this.size || len <= 0) return pos >= this.size ? null : new Uint8Array(0);
    const end = Math.min(this.size, pos + len);
    const n = end - pos;
    let i = this.indexAfter(pos) - 1;
    if (i < 0 || this.extents[i].start + this.extents[i].len <= pos) i++;
    const first = this.extents[i];
    if (!first || first.start >= end) return { fill: 'zero', length: n, seed: 0, offset: 0 };
    if (first.start <= pos && first.start + first.len >= end) {
      const d = pos - first.start;
      if (first.fill) return subFill(first.fill, d, n);
      return first.data!.slice(d, d + n);
    }
    const out = new Uint8Array(n);
    for (; i < this.extents.length && this.extents[i].start < end; i++) {
      const e = this.extents[i];
      const from = Math.max(pos, e.start);
      const to = Math.min(end, e.start + e.len);
      const view = out.subarray(from - pos, to - pos);
      if (e.data) view.set(e.data.subarray(from - e.start, to - e.start));
      else if (e.fill!.fill === 'random') randomFill(view, e.fill!.seed, e.fill!.offset + (from - e.start));
    }
    return out;
  }

  // Answers the blocks freed (or 0 when growing: a hole).
  truncate(size: number): number {
    if (size >= this.size) {
      this.size = size;
      return 0;
    }
    const before = this.blocks;
    const b0 = blockEnd(size);
    const freed = this.allocatedIn(b0, Math.max(b0, blockEnd(this.size)));
    this.cut(size, Infinity);
    this.size = size;
    this.blocks = before - freed;
    return freed;
  }

  // fallocate mode 0: holes in range become allocated zeros; the caller has
  // charged growth() for them.
  allocate(pos: number, len: number): void {
    if (len <= 0) return;
    const end = pos + len;
    const added = this.growth(pos, len);
    let at = pos;
    const holes: [number, number][] = [];
    for (const e of this.extents) {
      if (e.start + e.len <= at) continue;
      if (e.start >= end) break;
      if (e.start > at) holes.push([at, e.start]);
      at = Math.max(at, e.start + e.len);
    }
    if (at < end) holes.push([at, end]);
    for (const [s, t] of holes) {
      const i = this.indexAfter(s);
      const zero: Fill = { fill: 'zero', length: t - s, seed: 0, offset: 0 };
      if (!this.appendTo(i - 1, s, zero)) this.extents.splice(i, 0, { start: s, len: t - s, fill: zero, cap: t - s });
    }
    this.blocks += added;
    this.size = Math.max(this.size, end);
  }

  // The extents, for persistence and copy-up.
  chunks(): { start: number; chunk: Chunk }[] {
    return this.extents.map((e) => ({ start: e.start, chunk: e.fill ? { ...e.fill } : e.data!.subarray(0, e.len) }));
  }

  clone(): Content {
    const c = new Content();
    for (const { start, chunk } of this.chunks()) c.write(start, chunk);
    c.size = this.size;
    return c;
  }

  // Bytes held in memory (not counting Fills): for memory estimates.
  get heldBytes(): number {
    let n = 0;
    for (const e of this.extents) if (e.data) n += e.data.byteLength;
    return n;
  }

  private allocatedIn(b0: number, b1: number): number {
    let count = 0;
    let last = b0; // blocks before `last` are counted
    let i = this.indexAfter(b0 * BLOCK) - 1;
    if (i < 0) i = 0;
    for (; i < this.extents.length; i++) {
      const e = this.extents[i];
      const s = Math.max(blockOf(e.start), last);
      const t = Math.min(blockEnd(e.start + e.len), b1);
      if (blockOf(e.start) >= b1) break;
      if (t > s) {
        count += t - s;
        last = t;
      }
    }
    return count;
  }

  // The index of the first extent starting after `pos`.
  private indexAfter(pos: number): number {
    let lo = 0;
    let hi = this.extents.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.extents[mid].start <= pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // Removes [from, to) from the extents, splitting those across the edges.
  private cut(from: number, to: number): void {
    let i = Math.max(0, this.indexAfter(from) - 1);
    while (i < this.extents.length && this.extents[i].start < to) {
      const e = this.extents[i];
      const eEnd = e.start + e.len;
      if (eEnd <= from) {
        i++;
        continue;
      }
      const pieces: Extent[] = [];
      if (e.start < from) pieces.push(slice(e, 0, from - e.start));
      if (eEnd > to) pieces.push(slice(e, to - e.start, eEnd - to));
      this.extents.splice(i, 1, ...pieces);
      i += pieces.length;
    }
  }

  // Extends extent i with `chunk` written at `pos` when it continues it.
  private appendTo(i: number, pos: number, chunk: Chunk): boolean {
    const e = this.extents[i];
    if (!e || e.start + e.len !== pos) return false;
    const len = chunkLength(chunk);
    if (isFill(chunk)) {
      const f = e.fill;
      if (!f || f.fill !== chunk.fill) return false;
      if (f.fill === 'random' && (f.seed !== chunk.seed || f.offset + e.len !== chunk.offset)) return false;
      e.len += len;
      f.length = e.len;
      return true;
    }
    if (!e.data || e.len + len > MAX_GROW) return false;
    if (e.len + len > e.cap) {
      const cap = Math.min(MAX_GROW, Math.max(e.len + len, e.cap * 2, 64));
      const grown = new Uint8Array(cap);
      grown.set(e.data.subarray(0, e.len));
      e.data = grown;
      e.cap = cap;
    } else if (e.data.byteLength < e.len + len) {
      return false;
    }
    e.data.set(chunk, e.len);
    e.len += len;
    return true;
  }
}

function slice(e: Extent, offset: number, len: number): Extent {
  if (e.fill) return { start: e.start + offset, len, fill: subFill(e.fill, offset, len), cap: len };
  // The pieces share the buffer, so neither may grow into the other.
  return { start: e.start + offset, len, data: e.data!.subarray(offset, offset + len), cap: len };
}

function subFill(f: Fill, offset: number, length: number): Fill {
  return f.fill === 'zero' ? { fill: 'zero', length, seed: 0, offset: 0 } : { fill: 'random', length, seed: f.seed, offset: f.offset + offset };
}
