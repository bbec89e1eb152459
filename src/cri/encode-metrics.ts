import type { CriMetric } from '../stats/cri-metrics';

// PodSandboxMetrics written straight to protobuf bytes. A scrape of 1,000
// containers is some 40,000 Metric messages whose names and label values
// repeat; proto-loader's object conversion took seconds over them. Here each
// name, label list and timestamp is encoded once per answer, every size is
// computed first, and the answer is written into one buffer.
// Field numbers are api.proto's.

export interface PodMetrics {
  sandboxId: string;
  timestamp: bigint;
  metrics: CriMetric[];
  containers: { id: string; metrics: CriMetric[] }[];
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function varintLength(v: bigint | number): number {
  let n = 1;
  if (typeof v === 'number') {
    while (v >= 0x80) {
      v = Math.floor(v / 128);
      n++;
    }
    return n;
  }
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

class Out {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
  varint(v: bigint | number): void {
    if (typeof v === 'bigint' && v <= MAX_SAFE) v = Number(v);
    if (typeof v === 'number') {
      while (v >= 0x80) {
        this.buf[this.pos++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      this.buf[this.pos++] = v;
      return;
    }
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }
  raw(b: Buffer): void {
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
}

// A length-delimited field, tag and length included, as bytes.
function field(fieldNo: number, payload: Buffer): Buffer {
  const out = new Out(Buffer.allocUnsafe(1 + varintLength(payload.length) + payload.length));
  out.byte((fieldNo << 3) | 2);
  out.varint(payload.length);
  out.raw(payload);
  return out.buf;
}

const GAUGE = Buffer.from([(3 << 3) | 0, 1]);

interface Sized {
  m: CriMetric;
  name: Buffer;
  labels: Buffer;
  inner: number; // UInt64Value's size
  size: number; // the Metric's size
}

// Sizes first (with the strings encoded once), then one buffer written.
class Plan {
  private readonly names = new Map<string, Buffer>();
  private readonly labels = new Map<string[], Buffer>();

  size(m: CriMetric, tsSize: number): Sized {
    let name = this.names.get(m.name);
    if (!name) this.names.set(m.name, (name = field(1, Buffer.from(m.name, 'utf8'))));
    let labels = this.labels.get(m.labels);
    if (!labels) this.labels.set(m.labels, (labels = Buffer.concat(m.labels.map((l) => field(4, Buffer.from(l, 'utf8'))))));
    // proto3: COUNTER (0) and a zero value are left out.
    const inner = m.value === 0n ? 0 : 1 + varintLength(m.value);
    const size = name.length + tsSize + (m.type === 'GAUGE' ? GAUGE.length : 0) + labels.length + 1 + varintLength(inner) + inner;
    return { m, name, labels, inner, size };
  }
}

const delimited = (size: number): number => 1 + varintLength(size) + size;

// ListPodSandboxMetricsResponse (pod_metrics = 1) and
// StreamPodSandboxMetricsResponse (pod_sandbox_metrics = 1) alike.
export function encodePodMetricsList(pods: PodMetrics[]): Buffer {
  const plan = new Plan();
  const planned = pods.map((p) => {
    const tsSize = 1 + varintLength(p.timestamp);
    const id = field(1, Buffer.from(p.sandboxId, 'utf8'));
    const own = p.metrics.map((m) => plan.size(m, tsSize));
    const containers = p.containers.map((c) => {
      const cid = field(1, Buffer.from(c.id, 'utf8'));
      const metrics = c.metrics.map((m) => plan.size(m, tsSize));
      return { cid, metrics, size: cid.length + metrics.reduce((n, s) => n + delimited(s.size), 0) };
    });
    const size = id.length + own.reduce((n, s) => n + delimited(s.size), 0) + containers.reduce((n, c) => n + delimited(c.size), 0);
    return { p, id, own, containers, size };
  });
  const out = new Out(Buffer.allocUnsafe(planned.reduce((n, p) => n + delimited(p.size), 0)));
  const metric = (s: Sized, ts: bigint, fieldNo: number) => {
    out.byte((fieldNo << 3) | 2);
    out.varint(s.size);
    out.raw(s.name);
    out.byte((2 << 3) | 0);
    out.varint(ts);
    if (s.m.type === 'GAUGE') out.raw(GAUGE);
    out.raw(s.labels);
    out.byte((5 << 3) | 2);
    out.varint(s.inner);
    if (s.inner) {
      out.byte((1 << 3) | 0);
      out.varint(s.m.value);
    }
  };
  for (const { p, id, own, containers, size } of planned) {
    out.byte((1 << 3) | 2);
    out.varint(size);
    out.raw(id);
    for (const s of own) metric(s, p.timestamp, 2);
    for (const c of containers) {
      out.byte((3 << 3) | 2);
      out.varint(c.size);
      out.raw(c.cid);
      for (const s of c.metrics) metric(s, p.timestamp, 2);
    }
  }
  if (out.pos !== out.buf.length) throw new Error(`encodePodMetricsList: wrote ${out.pos} bytes of ${out.buf.length} planned`);
  return out.buf;
}
