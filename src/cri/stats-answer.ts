import { Wire, varintSize, wasSent } from './encode';

// A stats list's last answer, kept to build the next from: the entries
// whose figures moved only in their moving parts (see stats-layout.ts) are
// copied from it and patched (a node at rest: the whole answer copied at
// once), the others written again. Copying 10,000 entries of some 450 bytes
// costs less than writing their 40 fields each, and touches a few objects
// per entry instead of a dozen.

// An entry's layout, kept per record: its body's size.
interface Layout<R> {
  readonly record: R;
  readonly length: number;
}

// What one list does with its entries, for one call.
export interface Entries<R, L extends Layout<R>> {
  layout(record: R): L;
  // Reads the entry's figures; whether its bytes in the last answer (if
  // `inLast`) still hold them but for the moving parts.
  fits(l: L, inLast: boolean): boolean;
  // Writes the entry whole (tag, length, body), as field 1 of the answer.
  write(w: Wire, l: L): void;
  // Patches the moving parts of a copied entry whose body starts at `body`.
  patch(buf: Buffer, body: number, l: L): void;
}

interface Answer<L> {
  bytes: Buffer;
  // The memory it was written in.
  memory: Buffer;
  layouts: L[];
  // Where each entry's body starts.
  bodies: Int32Array;
}

// Layouts by record. A layout is written only into the answers of one list,
// so that it always describes its entry in the last answer that holds it.
export class Layouts<R extends object, L> {
  private readonly byRecord = new WeakMap<R, L>();

  of(record: R, make: (record: R) => L): L {
    let l = this.byRecord.get(record);
    if (l === undefined) this.byRecord.set(record, (l = make(record)));
    return l;
  }
}

export class ListAnswer<R extends object, L extends Layout<R>> {
  private last: Answer<L> | undefined;
  // The answer before last: its memory is written again once gRPC has taken
  // it. Fresh memory for each answer of megabytes costs as much as the rest
  // of the answer on a machine slow to give it (page faults), and two
  // answers' memory in turn costs none.
  private spare: { bytes: Buffer; memory: Buffer } | undefined;
  readonly layouts = new Layouts<R, L>();

  encode(records: readonly R[], entries: Entries<R, L>, sizeHint: number): Buffer {
    const last = this.last;
    // Until this answer is whole: its layouts change as it is written.
    this.last = undefined;
    const n = records.length;
    const layouts = new Array<L>(n);
    const bodies = new Int32Array(n);
    const copied = new Uint8Array(n);
    const copies = new Copies();
    let lastAt: Map<L, number> | undefined;
    const spare = this.spare && wasSent(this.spare.bytes) ? this.spare.memory : undefined;
    this.spare = undefined;
    const w = new Wire(last ? last.bytes.length + 4096 : sizeHint, spare);
    // The same number of entries as last time (a node at rest): the last
    // answer copied whole at once, and each entry patched in place as its
    // figures are read, while the records are the same and fit. From the
    // first that does not, the copy is cut and the rest built entry by entry.
    let i = 0;
    if (last !== undefined && n === last.layouts.length) {
      w.raw(last.bytes);
      for (; i < n; i++) {
        const l = last.layouts[i];
        if (l.record !== records[i] || !entries.fits(l, true)) break;
        layouts[i] = l;
        bodies[i] = last.bodies[i];
        entries.patch(w.memory, bodies[i], l);
      }
      if (i < n) w.truncate(last.bodies[i] - headerSize(last.layouts[i]));
    }
    for (; i < n; i++) {
      const r = records[i];
      let l: L;
      let j = -1;
      if (last !== undefined && i < last.layouts.length && last.layouts[i].record === r) {
        l = last.layouts[i];
        j = i;
      } else {
        l = entries.layout(r);
        if (last !== undefined) j = (lastAt ??= positions(last.layouts)).get(l) ?? -1;
      }
      layouts[i] = l;
      if (entries.fits(l, j >= 0)) {
        const header = headerSize(l);
        const start = w.skip(header + l.length);
        copies.add(last!.bodies[j] - header, start, header + l.length);
        bodies[i] = start + header;
        copied[i] = 1;
      } else {
        entries.write(w, l);
        bodies[i] = w.length - l.length;
      }
    }
    const bytes = w.finish();
    if (last) copies.run(last.bytes, bytes);
    for (let i = 0; i < n; i++) if (copied[i]) entries.patch(bytes, bodies[i], layouts[i]);
    this.spare = last && { bytes: last.bytes, memory: last.memory };
    this.last = { bytes, memory: w.memory, layouts, bodies };
    return bytes;
  }
}

// An entry's tag (field 1) and length.
const headerSize = (l: { length: number }): number => 1 + varintSize(l.length);

function positions<L>(layouts: L[]): Map<L, number> {
  const m = new Map<L, number>();
  for (let i = 0; i < layouts.length; i++) m.set(layouts[i], i);
  return m;
}

// Copies from the last answer into the new one, merged into runs.
class Copies {
  private readonly runs: number[] = [];
  private from = -1;
  private to = -1;
  private n = 0;

  add(from: number, to: number, n: number): void {
    if (from === this.from + this.n && to === this.to + this.n) {
      this.n += n;
      return;
    }
    if (this.n) this.runs.push(this.from, this.to, this.n);
    this.from = from;
    this.to = to;
    this.n = n;
  }

  run(source: Buffer, target: Buffer): void {
    if (this.n) this.runs.push(this.from, this.to, this.n);
    const r = this.runs;
    for (let i = 0; i < r.length; i += 3) source.copy(target, r[i + 1], r[i], r[i] + r[i + 2]);
  }
}
