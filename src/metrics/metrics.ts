import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallRecord } from '../calls/recorder';
import type { Capacity, Usage } from '../vfs/filesystem';

// What the metrics read at scrape time; App supplies it, so that this module
// depends on no part of the core.
export interface MetricSources {
  // Object counts by kind ("sandbox", "container", "image") and state.
  objects(): { kind: string; state: string; count: number }[];
  filesystems(): ({ name: string; backend: string; mountpoint: string; ballastBytes: number } & Usage & Capacity)[];
  // The action type of a fault rule, by id ("failpoint" for annotations).
  faultAction(ruleId: string): string;
}

// Latency buckets from 0.5 ms (a Version call) to 60 s (a slow pull).
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

// fakecri's Prometheus metrics, one registry per running fakecri. The CRI
// figures come from the call recorder, so they show what each client saw.
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'code'>;
  private readonly latency: Histogram<'method'>;
  private readonly faults: Counter<'rule' | 'action'>;
  private readonly faultAction: (rule: string) => string;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    this.faultAction = sources.faultAction;
    this.requests = new Counter({
      name: 'fakecri_cri_requests_total',
      help: 'CRI requests answered, by RPC and the gRPC code the client got.',
      labelNames: ['method', 'code'],
      registers,
    });
    this.latency = new Histogram({
      name: 'fakecri_cri_request_duration_seconds',
      help: 'Time from a CRI request to its answer, by RPC (injected delays included).',
      labelNames: ['method'],
      buckets: BUCKETS,
      registers,
    });
    this.faults = new Counter({
      name: 'fakecri_faults_fired_total',
      help: 'Fault rules and failpoints applied to CRI calls, by rule id and action.',
      labelNames: ['rule', 'action'],
      registers,
    });
    new Gauge({
      name: 'fakecri_objects',
      help: 'Pod sandboxes, containers and images held, by kind and state.',
      labelNames: ['kind', 'state'],
      registers,
      collect() {
        this.reset();
        for (const o of sources.objects()) this.set({ kind: o.kind, state: o.state }, o.count);
      },
    });
    const fsGauge = (name: string, help: string, pick: (f: ReturnType<MetricSources['filesystems']>[number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['filesystem', 'backend', 'mountpoint'],
        registers,
        collect() {
          this.reset();
          for (const f of sources.filesystems()) this.set({ filesystem: f.name, backend: f.backend, mountpoint: f.mountpoint }, pick(f));
        },
      });
    fsGauge('fakecri_filesystem_capacity_bytes', 'Size of the filesystem (statfs for the host backend, the configured capacity for memory).', (f) => f.capacityBytes);
    fsGauge('fakecri_filesystem_available_bytes', 'Bytes available on the filesystem, as statfs shows them to the kubelet.', (f) => f.availableBytes);
    fsGauge('fakecri_filesystem_used_bytes', 'Bytes fakecri stored on the filesystem: layers, writable layers and ballast.', (f) => f.usedBytes);
    fsGauge('fakecri_filesystem_ballast_bytes', 'Ballast bytes on the filesystem.', (f) => f.ballastBytes);
    fsGauge('fakecri_filesystem_inodes', 'Inodes of the filesystem.', (f) => f.inodes);
    fsGauge('fakecri_filesystem_inodes_used', 'Inodes fakecri uses on the filesystem.', (f) => f.inodesUsed);
  }

  // Labelled series, looked up once: observe() runs on every CRI call.
  private readonly requestSeries = new Map<string, { inc(): void }>();
  private readonly latencySeries = new Map<string, { observe(v: number): void }>();

  // One recorded CRI call.
  observe(call: Pick<CallRecord, 'method' | 'code' | 'ms' | 'faults'>): void {
    const key = `${call.method} ${call.code}`;
    let requests = this.requestSeries.get(key);
    if (!requests) this.requestSeries.set(key, (requests = this.requests.labels(call.method, call.code)));
    requests.inc();
    let latency = this.latencySeries.get(call.method);
    if (!latency) this.latencySeries.set(call.method, (latency = this.latency.labels(call.method)));
    latency.observe(call.ms / 1000);
    for (const rule of call.faults ?? []) this.faults.inc({ rule, action: this.faultAction(rule) });
  }

  // The text exposition format, with the process's own figures (CPU, memory,
  // event loop lag, GC) from the one process-wide registry.
  text(): Promise<string> {
    return Registry.merge([processRegistry(), this.registry]).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

// Default metrics observe the process (GC, event loop) from the moment they
// are set up, so they are set up once however many fakecris run in it.
let processMetrics: Registry | undefined;
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics, prefix: 'fakecri_' });
  }
  return processMetrics;
}
