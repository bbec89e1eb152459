import type { Container } from '../store/container';
import type { Sandbox } from '../store/sandbox';
import { type Figures, type Kept, type LiveCpuMemory, NOTHING_KEPT, type PodSums } from '../stats/model';
import type { LiveSize } from '../vfs/filesystem';
import { ItemEncoder, type Wire, varintSize } from './encode';

// Where the figures that move from one call to the next sit in a stats
// entry as it was last written: the timestamp (in each usage message) and
// the CPU time. An entry whose other figures are unchanged, and whose CPU
// time still fits its varint, is copied from the last answer and patched
// there (see stats-answer.ts) instead of written field by field. Offsets
// are from the start of the entry's body; the messages are the ones
// convert.ts builds for the unary ContainerStats and PodSandboxStats.

const containerAttributes = new ItemEncoder<Container>('runtime.v1.ContainerAttributes', (c) => ({
  id: c.id,
  metadata: c.metadata,
  labels: c.labels,
  annotations: c.annotations,
}));
const sandboxAttributes = new ItemEncoder<Sandbox>('runtime.v1.PodSandboxAttributes', (s) => ({
  id: s.id,
  metadata: s.metadata,
  labels: s.labels,
  annotations: s.annotations,
}));

// What every entry of one answer shares.
export interface Moment {
  // Field 1 of every usage message: the timestamp's tag and varint.
  readonly ts: Buffer;
  // The writable layers' FilesystemIdentifier, encoded whole.
  readonly fsId: Buffer;
  readonly eth0: Buffer;
}

// A timestamp field's size: a tag and a 9-byte varint, for every moment
// in nanoseconds from 1972 to 2262 (2^56 to 2^63). At another moment
// nothing is patched.
const TS_BYTES = 10;

// A wrapper message's encoded size as a field (tag, length, body).
const wrapperSize = (v: number): number => (v === 0 ? 2 : 3 + varintSize(v));
// A nested message's encoded size as a field, from its body's.
export const fieldSize = (body: number): number => 1 + varintSize(body) + body;

// What both layouts keep of an entry as last written: its body's size,
// the CPU rate and memory it holds, and where its CPU time's varint is.
// The varint is patched in place while its value stays in [cpuMin, cpuMax]:
// the values of its encoded size (none at 0: a zero wrapper holds no
// varint). Fields of the layouts themselves, not an object of their own:
// one object fewer to reach per entry.
abstract class Written {
  // The body's size; 0 until written.
  length = 0;
  protected nanoCores = -1;
  protected memoryBytes = -1;
  private cpuAt = 0;
  private cpuSize = 0;
  private cpuMin = 0;
  private cpuMax = -1;
  // This answer's value.
  private cpuNow = 0;

  // Notes where `v`, just written, ends, relative to `body`.
  protected wroteCpu(w: Wire, v: number, body: number): void {
    const size = v === 0 ? 0 : varintSize(v);
    this.cpuAt = w.length - size - body;
    this.cpuSize = size;
    this.cpuMin = size <= 1 ? size : 2 ** (7 * (size - 1));
    this.cpuMax = size === 0 ? 0 : Math.min(2 ** (7 * size) - 1, Number.MAX_SAFE_INTEGER);
  }

  protected cpuFits(v: number): boolean {
    this.cpuNow = v;
    return v >= this.cpuMin && v <= this.cpuMax;
  }

  // As Wire.varint writes it.
  protected patchCpu(buf: Buffer, body: number): void {
    let at = body + this.cpuAt;
    let v = this.cpuNow;
    const size = this.cpuSize;
    for (let i = 1; i < size; i++) {
      buf[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    if (size > 0) buf[at] = v;
  }
}

const patchTs = (buf: Buffer, at: number, ts: Buffer): void => {
  for (let i = 1; i < TS_BYTES; i++) buf[at + i] = ts[i];
};

// A container's ContainerStats entry; also what its figures are read from.
export class ContainerLayout extends Written implements Kept {
  cpu: LiveCpuMemory | undefined = undefined;
  layer: LiveSize = NOTHING_KEPT;
  // The three usage messages' timestamp fields.
  private ts1 = 0;
  private ts2 = 0;
  private ts3 = 0;
  // The layer's figures as written.
  private layerBytes = -1;
  private layerInodes = -1;

  constructor(readonly record: Container) {
    super();
  }

  // Whether the entry as last written holds `f` but for the moving parts.
  fits(f: Figures, m: Moment): boolean {
    return (
      this.cpuFits(f.cpuCoreNanoSeconds) &&
      f.cpuNanoCores === this.nanoCores &&
      f.memoryBytes === this.memoryBytes &&
      f.layerBytes === this.layerBytes &&
      f.layerInodes === this.layerInodes &&
      m.ts.length === TS_BYTES
    );
  }

  // The moving parts of a copy of the entry whose body starts at `body`.
  patch(buf: Buffer, body: number, m: Moment): void {
    patchTs(buf, body + this.ts1, m.ts);
    patchTs(buf, body + this.ts2, m.ts);
    patchTs(buf, body + this.ts3, m.ts);
    this.patchCpu(buf, body);
  }

  // The body's size with figures `f`.
  size(f: Figures, m: Moment): number {
    return fieldSize(containerAttributes.encode(this.record).length) + fieldSize(cpuSize(f, m)) + fieldSize(memorySize(f, m)) + fieldSize(layerSize(f, m));
  }

  // Writes the entry whole as field `field`, noting where its parts are.
  // The body sizes are computed first, so that each message is written
  // once, in order, with no length to patch.
  write(w: Wire, field: number, f: Figures, m: Moment): void {
    const attributes = containerAttributes.encode(this.record);
    const cpu = cpuSize(f, m);
    const memory = memorySize(f, m);
    const layer = layerSize(f, m);
    this.length = fieldSize(attributes.length) + fieldSize(cpu) + fieldSize(memory) + fieldSize(layer);
    w.header(field, this.length);
    const body = w.length;
    w.bytes(1, attributes);
    w.header(2, cpu);
    this.ts1 = w.length - body;
    w.raw(m.ts);
    w.uint64Value(2, f.cpuCoreNanoSeconds);
    this.wroteCpu(w, f.cpuCoreNanoSeconds, body);
    w.uint64Value(3, f.cpuNanoCores);
    w.header(3, memory);
    this.ts2 = w.length - body;
    w.raw(m.ts);
    w.uint64Value(2, f.memoryBytes);
    w.uint64Value(3, 0);
    w.uint64Value(4, f.memoryBytes);
    w.uint64Value(5, f.memoryBytes);
    w.uint64Value(6, 0);
    w.uint64Value(7, 0);
    w.header(4, layer);
    this.ts3 = w.length - body;
    w.raw(m.ts);
    w.bytes(2, m.fsId);
    w.uint64Value(3, f.layerBytes);
    w.uint64Value(4, f.layerInodes);
    this.nanoCores = f.cpuNanoCores;
    this.memoryBytes = f.memoryBytes;
    this.layerBytes = f.layerBytes;
    this.layerInodes = f.layerInodes;
  }
}

const cpuSize = (f: Figures, m: Moment): number => m.ts.length + wrapperSize(f.cpuCoreNanoSeconds) + wrapperSize(f.cpuNanoCores);
const memorySize = (f: Figures, m: Moment): number => m.ts.length + 3 * wrapperSize(f.memoryBytes) + 3 * 2;
const layerSize = (f: Figures, m: Moment): number => m.ts.length + fieldSize(m.fsId.length) + wrapperSize(f.layerBytes) + wrapperSize(f.layerInodes);

// A pod's PodSandboxStats entry: the sums over its running containers,
// then each of them.
export class PodLayout extends Written {
  // The running containers it was written with, in order.
  containers: ContainerLayout[] = [];
  // Where each one's body starts.
  private at: number[] = [];
  // The CPU, memory, network and process messages' timestamp fields.
  private ts1 = 0;
  private ts2 = 0;
  private ts3 = 0;
  private ts4 = 0;

  constructor(readonly record: Sandbox) {
    super();
  }

  // Whether the entry as last written holds these sums and each container's
  // figures (`figures[i]`, of `containers[i]`) but for the moving parts.
  fits(sums: PodSums, figures: readonly Figures[], m: Moment): boolean {
    let ok = this.cpuFits(sums.cpuCoreNanoSeconds) && sums.cpuNanoCores === this.nanoCores && sums.memoryBytes === this.memoryBytes;
    for (let i = 0; i < this.containers.length; i++) ok = this.containers[i].fits(figures[i], m) && ok;
    return ok && m.ts.length === TS_BYTES;
  }

  patch(buf: Buffer, body: number, m: Moment): void {
    patchTs(buf, body + this.ts1, m.ts);
    patchTs(buf, body + this.ts2, m.ts);
    patchTs(buf, body + this.ts3, m.ts);
    patchTs(buf, body + this.ts4, m.ts);
    this.patchCpu(buf, body);
    for (let i = 0; i < this.containers.length; i++) this.containers[i].patch(buf, body + this.at[i], m);
  }

  // Writes the entry whole as field `field`: `containers`, the running
  // ones, with `figures` and their `sums`.
  write(w: Wire, field: number, containers: ContainerLayout[], figures: readonly Figures[], sums: PodSums, m: Moment): void {
    const attributes = sandboxAttributes.encode(this.record);
    const t = m.ts.length;
    const { cpuCoreNanoSeconds: cpuTime, cpuNanoCores, memoryBytes: memory } = sums;
    const n = containers.length;
    const cpu = t + wrapperSize(cpuTime) + wrapperSize(cpuNanoCores);
    const mem = t + 2 * wrapperSize(memory);
    const iface = fieldSize(m.eth0.length) + 2 * wrapperSize(0);
    const network = t + fieldSize(iface);
    const process = t + wrapperSize(n);
    let linux = fieldSize(cpu) + fieldSize(mem) + fieldSize(network) + fieldSize(process);
    for (let i = 0; i < n; i++) linux += fieldSize(containers[i].size(figures[i], m));
    this.length = fieldSize(attributes.length) + fieldSize(linux);
    w.header(field, this.length);
    const body = w.length;
    w.bytes(1, attributes);
    w.header(2, linux);
    w.header(1, cpu);
    this.ts1 = w.length - body;
    w.raw(m.ts);
    w.uint64Value(2, cpuTime);
    this.wroteCpu(w, cpuTime, body);
    w.uint64Value(3, cpuNanoCores);
    w.header(2, mem);
    this.ts2 = w.length - body;
    w.raw(m.ts);
    w.uint64Value(2, memory);
    w.uint64Value(4, memory);
    w.header(3, network);
    this.ts3 = w.length - body;
    w.raw(m.ts);
    w.header(2, iface).bytes(1, m.eth0).uint64Value(2, 0).uint64Value(4, 0);
    w.header(4, process);
    this.ts4 = w.length - body;
    w.raw(m.ts);
    w.uint64Value(2, n);
    this.at = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      containers[i].write(w, 5, figures[i], m);
      this.at[i] = w.length - containers[i].length - body;
    }
    this.containers = containers;
    this.nanoCores = cpuNanoCores;
    this.memoryBytes = memory;
  }
}
