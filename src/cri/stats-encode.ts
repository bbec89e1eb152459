import type { App } from '../app';
import { nowNanos } from '../domain/clock';
import type { Container } from '../store/container';
import type { Sandbox } from '../store/sandbox';
import type { ContainerUsage, SandboxUsage } from '../stats/model';
import { type Encoded, ItemEncoder, Wire } from './encode';

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

// What every item of one answer shares.
class Shared {
  // Field 1 of every usage message: the timestamp, encoded once.
  readonly ts: Buffer;
  readonly mountpoint: Buffer;
  readonly eth0 = Buffer.from('eth0');

  constructor(app: App) {
    this.ts = new Wire(16).tag(1, 0).varint(BigInt(nowNanos())).finish();
    this.mountpoint = Buffer.from(app.fs.containerfs.mountpoint);
  }
}

function writeContainerStats(w: Wire, field: number, c: Container, u: ContainerUsage, sh: Shared): void {
  const attributes = containerAttributes.encode(c);
  w.open(field, attributes.length + 160);
  w.bytes(1, attributes);
  w.open(2);
  w.raw(sh.ts);
  w.uint64Value(2, u.cpuCoreNanoSeconds);
  w.uint64Value(3, u.cpuNanoCores);
  w.end();
  w.open(3);
  w.raw(sh.ts);
  w.uint64Value(2, u.memoryWorkingSetBytes);
  w.uint64Value(3, 0);
  w.uint64Value(4, u.memoryWorkingSetBytes);
  w.uint64Value(5, u.memoryWorkingSetBytes);
  w.uint64Value(6, 0);
  w.uint64Value(7, 0);
  w.end();
  w.open(4);
  w.raw(sh.ts);
  w.open(2).bytes(1, sh.mountpoint).end();
  w.uint64Value(3, u.writableLayer.usedBytes);
  w.uint64Value(4, u.writableLayer.inodesUsed);
  w.end();
  w.end();
}

// A ListContainerStatsResponse holding these containers' stats.
export function encodeContainerStats(app: App, containers: Container[]): Encoded {
  const sh = new Shared(app);
  const w = new Wire(containers.length * CONTAINER_BYTES);
  for (const c of containers) writeContainerStats(w, 1, c, app.stats.container(c), sh);
  return w.finish();
}

// A ListPodSandboxStatsResponse holding these sandboxes' stats.
export function encodePodSandboxStats(app: App, sandboxes: Sandbox[]): Encoded {
  const sh = new Shared(app);
  const w = new Wire(sandboxes.length * SANDBOX_BYTES);
  for (const s of sandboxes) writePodSandboxStats(w, s, app.stats.sandbox(s), sh);
  return w.finish();
}

// The same, one entry (field 1 of the answer) per item as they are taken,
// for the Stream* lists: the items share one timestamp.
export function* containerStatsEntries(app: App, containers: Iterable<Container>): Generator<Uint8Array> {
  const sh = new Shared(app);
  for (const c of containers) {
    const w = new Wire(CONTAINER_BYTES);
    writeContainerStats(w, 1, c, app.stats.container(c), sh);
    yield w.finish();
  }
}

export function* podSandboxStatsEntries(app: App, sandboxes: Iterable<Sandbox>): Generator<Uint8Array> {
  const sh = new Shared(app);
  for (const s of sandboxes) {
    const w = new Wire(SANDBOX_BYTES);
    writePodSandboxStats(w, s, app.stats.sandbox(s), sh);
    yield w.finish();
  }
}

function writePodSandboxStats(w: Wire, s: Sandbox, u: SandboxUsage, sh: Shared): void {
  const attributes = sandboxAttributes.encode(s);
  const expect = 200 + u.containers.length * CONTAINER_BYTES;
  w.open(1, attributes.length + expect);
  w.bytes(1, attributes);
  w.open(2, expect);
  w.open(1);
  w.raw(sh.ts);
  w.uint64Value(2, u.cpuCoreNanoSeconds);
  w.uint64Value(3, u.cpuNanoCores);
  w.end();
  w.open(2);
  w.raw(sh.ts);
  w.uint64Value(2, u.memoryWorkingSetBytes);
  w.uint64Value(4, u.memoryWorkingSetBytes);
  w.end();
  w.open(3);
  w.raw(sh.ts);
  w.open(2).bytes(1, sh.eth0).uint64Value(2, 0).uint64Value(4, 0).end();
  w.end();
  w.open(4);
  w.raw(sh.ts);
  w.uint64Value(2, u.containers.length);
  w.end();
  for (const x of u.containers) writeContainerStats(w, 5, x.container, x.usage, sh);
  w.end();
  w.end();
}
