import type { CriMetric } from '../stats/cri-metrics';
import { Wire } from './encode';

// PodSandboxMetrics written straight to protobuf bytes (encode.ts's Wire). A
// scrape of 1,000 containers is some 40,000 Metric messages whose names and
// label values repeat; proto-loader's object conversion took seconds over
// them. Here each name, label list and timestamp is encoded once per answer.
// Field numbers are api.proto's.

export interface PodMetrics {
  sandboxId: string;
  timestamp: bigint;
  metrics: CriMetric[];
  containers: { id: string; metrics: CriMetric[] }[];
}

// metric_type = 3: GAUGE (1); COUNTER (0) is left out, as proto3 does.
const GAUGE = new Wire(2).tag(3, 0).varint(1).finish();

// Bytes of a message's field, as text: encoded once per answer.
class Fields {
  private readonly names = new Map<string, Buffer>();
  private readonly labels = new Map<string[], Buffer>();

  name(m: CriMetric): Buffer {
    let b = this.names.get(m.name);
    if (!b) this.names.set(m.name, (b = text(1, m.name)));
    return b;
  }

  labelValues(m: CriMetric): Buffer {
    let b = this.labels.get(m.labels);
    if (!b) this.labels.set(m.labels, (b = Buffer.concat(m.labels.map((l) => text(4, l)))));
    return b;
  }
}

const text = (field: number, s: string): Buffer => {
  const bytes = Buffer.from(s, 'utf8');
  return new Wire(bytes.length + 6).bytes(field, bytes).finish();
};

// ListPodSandboxMetricsResponse (pod_metrics = 1) and
// StreamPodSandboxMetricsResponse (pod_sandbox_metrics = 1) alike.
export function encodePodMetricsList(pods: PodMetrics[]): Buffer {
  const fields = new Fields();
  const w = new Wire(4096);
  const metric = (m: CriMetric, ts: Buffer, field: number) => {
    w.open(field, 200);
    w.raw(fields.name(m));
    w.raw(ts);
    if (m.type === 'GAUGE') w.raw(GAUGE);
    w.raw(fields.labelValues(m));
    w.uint64Value(5, m.value);
    w.end();
  };
  for (const p of pods) {
    const ts = new Wire(12).tag(2, 0).varint(p.timestamp).finish();
    w.open(1, 20_000);
    w.raw(text(1, p.sandboxId));
    for (const m of p.metrics) metric(m, ts, 2);
    for (const c of p.containers) {
      w.open(3, 8_000);
      w.raw(text(1, c.id));
      for (const m of c.metrics) metric(m, ts, 2);
      w.end();
    }
    w.end();
  }
  return w.finish();
}
