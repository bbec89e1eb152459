import type { App } from '../app';
import { nowNanos } from '../domain/clock';
import type { Container } from '../store/container';
import type { Sandbox } from '../store/sandbox';
import { type Figures, newFigures, podSums } from '../stats/model';
import { type Encoded, ItemEncoder, Wire, varintSize } from './encode';

// ListContainerStats and ListPodSandboxStats, encoded straight from the stats
// model: the attributes (id, metadata, labels, annotations: most of the
// bytes) are encoded once per record and kept while it is unchanged (see
// encode.ts); the figures, which move with every call, are written field by
// field into one buffer. Building the same answer as objects for
// proto-loader cost 10,000 containers most of a second, mostly in garbage
// collection. The messages are the ones convert.ts builds for the unary
// ContainerStats and PodSandboxStats; the tests compare the two.

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

// Average encoded sizes, to size the buffer once.
const CONTAINER_BYTES = 600;
const SANDBOX_BYTES = 400;

// What every item of one answer shares: one moment, at which every figure
// is read (CPU time included), and the pieces encoded once for it.
class Shared {
  // Field 1 of every usage message: the timestamp, encoded once.
  readonly ts: Buffer;
  readonly nowMs: number;
  // The writable layers' FilesystemIdentifier, encoded whole.
  readonly fsId: Buffer;
  readonly eth0 = Buffer.from('eth0');
  // Scratch for one container's figures, a pod's (see podFigures) and
  // their sums.
  readonly f = newFigures();
  readonly pod: Figures[] = [];
  readonly sums = newFigures();

  constructor(app: App) {
    const ns = nowNanos();
    this.ts = new Wire(16).tag(1, 0).varint(BigInt(ns)).finish();
    this.nowMs = Number(BigInt(ns) / 1_000_000n);
    this.fsId = new Wire(64).bytes(1, Buffer.from(app.stats.mountpoint)).finish();
  }
}

// A wrapper message's encoded size as a field (tag, length, body).
const wrapperSize = (v: number): number => (v === 0 ? 2 : 3 + varintSize(v));
// A nested message's encoded size as a field, from its body's.
const fieldSize = (body: number): number => 1 + varintSize(body) + body;

// The messages' body sizes are computed before they are written, so that
// each is written once, in order, with no length to patch.
function writeContainerStats(w: Wire, field: number, c: Container, f: Figures, sh: Shared): void {
  const attributes = containerAttributes.encode(c);
  const t = sh.ts.length;
  const cpu = t + wrapperSize(f.cpuCoreNanoSeconds) + wrapperSize(f.cpuNanoCores);
  const m = wrapperSize(f.memoryBytes);
  const memory = t + 3 * m + 3 * 2;
  const layer = t + fieldSize(sh.fsId.length) + wrapperSize(f.layerBytes) + wrapperSize(f.layerInodes);
  w.header(field, fieldSize(attributes.length) + fieldSize(cpu) + fieldSize(memory) + fieldSize(layer));
  w.bytes(1, attributes);
  w.header(2, cpu).raw(sh.ts);
  w.uint64Value(2, f.cpuCoreNanoSeconds);
  w.uint64Value(3, f.cpuNanoCores);
  w.header(3, memory).raw(sh.ts);
  w.uint64Value(2, f.memoryBytes);
  w.uint64Value(3, 0);
  w.uint64Value(4, f.memoryBytes);
  w.uint64Value(5, f.memoryBytes);
  w.uint64Value(6, 0);
  w.uint64Value(7, 0);
  w.header(4, layer).raw(sh.ts);
  w.bytes(2, sh.fsId);
  w.uint64Value(3, f.layerBytes);
  w.uint64Value(4, f.layerInodes);
}

// A ListContainerStatsResponse holding these containers' stats.
export function encodeContainerStats(app: App, containers: Container[]): Encoded {
  const sh = new Shared(app);
  const w = new Wire(containers.length * CONTAINER_BYTES);
  for (const c of containers) writeContainerStats(w, 1, c, app.stats.read(c, sh.nowMs, sh.f), sh);
  return w.finish();
}

// A ListPodSandboxStatsResponse holding these sandboxes' stats.
export function encodePodSandboxStats(app: App, sandboxes: Sandbox[]): Encoded {
  const sh = new Shared(app);
  // Each pod's running containers first, to size the buffer for them all.
  const running = sandboxes.map((s) => app.stats.running(s));
  let n = 0;
  for (const r of running) n += r.length;
  const w = new Wire(sandboxes.length * SANDBOX_BYTES + n * CONTAINER_BYTES);
  for (let i = 0; i < sandboxes.length; i++) writePodSandboxStats(w, app, sandboxes[i], running[i], sh);
  return w.finish();
}

// The same, one entry (field 1 of the answer) per item as they are taken,
// for the Stream* lists: the items share one timestamp.
export function* containerStatsEntries(app: App, containers: Iterable<Container>): Generator<Uint8Array> {
  const sh = new Shared(app);
  for (const c of containers) {
    const w = new Wire(CONTAINER_BYTES);
    writeContainerStats(w, 1, c, app.stats.read(c, sh.nowMs, sh.f), sh);
    yield w.finish();
  }
}

export function* podSandboxStatsEntries(app: App, sandboxes: Iterable<Sandbox>): Generator<Uint8Array> {
  const sh = new Shared(app);
  for (const s of sandboxes) {
    const running = app.stats.running(s);
    const w = new Wire(SANDBOX_BYTES + running.length * CONTAINER_BYTES);
    writePodSandboxStats(w, app, s, running, sh);
    yield w.finish();
  }
}

// The figures of the pod's running containers, each read once into the
// answer's scratch (the sums come before the containers in the message).
function podFigures(app: App, containers: Container[], sh: Shared): Figures[] {
  while (sh.pod.length < containers.length) sh.pod.push(newFigures());
  for (let i = 0; i < containers.length; i++) app.stats.read(containers[i], sh.nowMs, sh.pod[i]);
  return sh.pod;
}

// `containers`: the pod's running ones.
function writePodSandboxStats(w: Wire, app: App, s: Sandbox, containers: Container[], sh: Shared): void {
  const attributes = sandboxAttributes.encode(s);
  const figures = podFigures(app, containers, sh);
  const { cpuCoreNanoSeconds: cpuTime, cpuNanoCores, memoryBytes: memory } = podSums(figures, containers.length, sh.sums);
  const expect = 200 + containers.length * CONTAINER_BYTES;
  w.open(1, attributes.length + expect);
  w.bytes(1, attributes);
  w.open(2, expect);
  const t = sh.ts.length;
  w.header(1, t + wrapperSize(cpuTime) + wrapperSize(cpuNanoCores)).raw(sh.ts);
  w.uint64Value(2, cpuTime);
  w.uint64Value(3, cpuNanoCores);
  w.header(2, t + 2 * wrapperSize(memory)).raw(sh.ts);
  w.uint64Value(2, memory);
  w.uint64Value(4, memory);
  w.open(3);
  w.raw(sh.ts);
  w.open(2).bytes(1, sh.eth0).uint64Value(2, 0).uint64Value(4, 0).end();
  w.end();
  w.header(4, t + wrapperSize(containers.length)).raw(sh.ts);
  w.uint64Value(2, containers.length);
  for (let i = 0; i < containers.length; i++) writeContainerStats(w, 5, containers[i], figures[i], sh);
  w.end();
  w.end();
}
