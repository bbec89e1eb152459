// The CRI metrics (ListMetricDescriptors, ListPodSandboxMetrics): cAdvisor's
// names, labels and types, as CRI-O v1.36 produces them, computed from the
// same figures as the stats RPCs so that the two always agree. The kubelet
// serves them at /metrics/cadvisor with PodAndContainerStatsFromCRI.

export type MetricType = 'COUNTER' | 'GAUGE';

export interface MetricDescriptor {
  name: string;
  help: string;
  labelKeys: readonly string[];
}

export interface CriMetric {
  name: string;
  type: MetricType;
  value: bigint;
  // In the order of the descriptor's labelKeys.
  labels: string[];
}

// What the stats RPCs report for a container (App.containerUsage's shape).
export interface UsageSample {
  cpuCoreNanoSeconds: bigint;
  memoryWorkingSetBytes: number;
  writableLayer: { usedBytes: number; inodesUsed: number };
}

// The CRI LinuxContainerResources the container runs with, as stored.
export interface ResourcesSample {
  cpu_period?: string | number;
  cpu_quota?: string | number;
  cpu_shares?: string | number;
  memory_limit_in_bytes?: string | number;
  memory_swap_limit_in_bytes?: string | number;
  unified?: Record<string, string>;
}

export interface ContainerSample {
  id: string;
  // CRI-O's container name: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>.
  name: string;
  image: string;
  namespace: string;
  pod: string;
  container: string;
  createdAtNs: string;
  usage: UsageSample;
  processes: number;
  resources: ResourcesSample;
}

export interface SandboxSample {
  id: string;
  namespace: string;
  pod: string;
  // Counters of the pod's interfaces, as PodSandboxStats reports them.
  interfaces: { name: string; rxBytes: number; txBytes: number }[];
}

// The filesystem holding the writable layers (containerfs).
export interface FsCapacity {
  capacityBytes: number;
  inodes: number;
  inodesFree: number;
}

// CRI-O v1.36's label keys; the metric's own keys follow (cpu, interface...).
export const BASE_LABEL_KEYS = ['id', 'name', 'image', 'namespace', 'pod', 'container'] as const;

const d = (name: string, help: string, ...extra: string[]): MetricDescriptor => ({ name, help, labelKeys: [...BASE_LABEL_KEYS, ...extra] });

// Only what fakecri models; CRI-O's families that would be made up here
// (hugetlb, pressure, file descriptors, sockets, ulimits, CFS throttling)
// are left out. Disk I/O is listed with no samples: the containers' io.stat
// is empty, as CRI-O then reports it.
export const DESCRIPTORS: readonly MetricDescriptor[] = [
  d('container_last_seen', 'Last time a container was seen by the exporter'),
  d('container_cpu_user_seconds_total', 'Cumulative user CPU time consumed in seconds.'),
  d('container_cpu_system_seconds_total', 'Cumulative system CPU time consumed in seconds.'),
  d('container_cpu_usage_seconds_total', 'Cumulative CPU time consumed in seconds.', 'cpu'),
  d('container_memory_cache', 'Number of bytes of page cache memory.'),
  d('container_memory_rss', 'Size of RSS in bytes.'),
  d('container_memory_swap', 'Container swap usage in bytes.'),
  d('container_memory_usage_bytes', 'Current memory usage in bytes, including all memory regardless of when it was accessed'),
  d('container_memory_max_usage_bytes', 'Maximum memory usage recorded in bytes'),
  d('container_memory_working_set_bytes', 'Current working set in bytes.'),
  d('container_memory_failures_total', 'Cumulative count of memory allocation failures.', 'failure_type', 'scope'),
  d('container_oom_events_total', 'Count of out of memory events observed for the container'),
  d('container_fs_inodes_free', 'Number of free inodes.'),
  d('container_fs_inodes_total', 'Total number of inodes.'),
  d('container_fs_limit_bytes', 'Filesystem limit in bytes.'),
  d('container_fs_usage_bytes', 'Current filesystem usage in bytes.'),
  d('container_fs_reads_bytes_total', 'Cumulative count of bytes read', 'device'),
  d('container_fs_reads_total', 'Cumulative count of reads completed', 'device'),
  d('container_fs_writes_bytes_total', 'Cumulative count of bytes written', 'device'),
  d('container_fs_writes_total', 'Cumulative count of writes completed', 'device'),
  d('container_network_receive_bytes_total', 'Cumulative count of bytes received', 'interface'),
  d('container_network_receive_packets_total', 'Cumulative count of packets received', 'interface'),
  d('container_network_receive_packets_dropped_total', 'Cumulative count of packets dropped while receiving', 'interface'),
  d('container_network_receive_errors_total', 'Cumulative count of errors encountered while receiving', 'interface'),
  d('container_network_transmit_bytes_total', 'Cumulative count of bytes transmitted', 'interface'),
  d('container_network_transmit_packets_total', 'Cumulative count of packets transmitted', 'interface'),
  d('container_network_transmit_packets_dropped_total', 'Cumulative count of packets dropped while transmitting', 'interface'),
  d('container_network_transmit_errors_total', 'Cumulative count of errors encountered while transmitting', 'interface'),
  d('container_processes', 'Number of processes running inside the container.'),
  d('container_threads', 'Number of threads running inside the container'),
  d('container_threads_max', 'Maximum number of threads allowed inside the container, infinity if value is zero'),
  d('container_spec_memory_limit_bytes', 'Memory limit for the container in bytes.'),
  d('container_spec_memory_swap_limit_bytes', 'Memory swap limit for the container.'),
  d('container_spec_memory_reservation_limit_bytes', 'Memory reservation limit for the container.'),
  d('container_spec_cpu_shares', 'CPU share of the container.'),
  d('container_spec_cpu_period', 'CPU period of the container.'),
  d('container_spec_cpu_quota', 'CPU quota of the container.'),
  d('container_start_time_seconds', 'Start time of the container since unix epoch in seconds.'),
];

const NS_PER_S = 1_000_000_000n;

const int = (v: string | number | undefined): bigint => {
  try {
    return BigInt(v ?? 0);
  } catch {
    return 0n;
  }
};

// CRI-O's specMemoryValue: unlimited (-1) or absurd limits read as 0.
const memoryLimit = (v: string | number | undefined): bigint => {
  const n = int(v);
  return n < 0n || n > 1n << 62n ? 0n : n;
};

// One running container's metrics. nowSeconds: container_last_seen.
export function containerMetrics(c: ContainerSample, fs: FsCapacity, nowSeconds: number): CriMetric[] {
  const base = [c.id, c.name, c.image, c.namespace, c.pod, c.container];
  const out: CriMetric[] = [];
  const add = (name: string, type: MetricType, value: bigint | number, ...extra: string[]) =>
    out.push({ name, type, value: BigInt(value), labels: extra.length ? [...base, ...extra] : base });
  const u = c.usage;
  // UInt64Value: whole seconds, truncated as CRI-O does. The container's
  // cpu.stat counts all of it as user time.
  const cpuSeconds = u.cpuCoreNanoSeconds / NS_PER_S;
  const memory = BigInt(Math.round(u.memoryWorkingSetBytes));
  const r = c.resources;

  add('container_last_seen', 'GAUGE', Math.floor(nowSeconds));
  add('container_cpu_user_seconds_total', 'COUNTER', cpuSeconds);
  add('container_cpu_system_seconds_total', 'COUNTER', 0n);
  add('container_cpu_usage_seconds_total', 'COUNTER', cpuSeconds, 'total');
  // No page cache and no swap in the model: usage, RSS and working set are
  // one figure, as in ContainerStats and the container's memory.stat.
  add('container_memory_cache', 'GAUGE', 0n);
  add('container_memory_rss', 'GAUGE', memory);
  add('container_memory_swap', 'GAUGE', 0n);
  add('container_memory_usage_bytes', 'GAUGE', memory);
  add('container_memory_max_usage_bytes', 'GAUGE', memory);
  add('container_memory_working_set_bytes', 'GAUGE', memory);
  for (const failure of ['pgfault', 'pgmajfault']) {
    for (const scope of ['container', 'hierarchy']) add('container_memory_failures_total', 'COUNTER', 0n, failure, scope);
  }
  add('container_oom_events_total', 'COUNTER', 0n);
  add('container_fs_inodes_free', 'GAUGE', fs.inodesFree);
  add('container_fs_inodes_total', 'GAUGE', fs.inodes);
  add('container_fs_limit_bytes', 'GAUGE', fs.capacityBytes);
  add('container_fs_usage_bytes', 'GAUGE', u.writableLayer.usedBytes);
  add('container_processes', 'GAUGE', c.processes);
  add('container_threads', 'GAUGE', c.processes);
  add('container_threads_max', 'GAUGE', 0n);
  add('container_spec_memory_limit_bytes', 'GAUGE', memoryLimit(r.memory_limit_in_bytes));
  add('container_spec_memory_swap_limit_bytes', 'GAUGE', memoryLimit(r.memory_swap_limit_in_bytes));
  add('container_spec_memory_reservation_limit_bytes', 'GAUGE', memoryLimit(r.unified?.['memory.min']));
  add('container_spec_cpu_shares', 'GAUGE', int(r.cpu_shares) < 0n ? 0n : int(r.cpu_shares));
  add('container_spec_cpu_period', 'GAUGE', int(r.cpu_period) < 0n ? 0n : int(r.cpu_period));
  // As CRI-O: only a set quota is reported.
  if (int(r.cpu_quota) > 0n) add('container_spec_cpu_quota', 'GAUGE', int(r.cpu_quota));
  add('container_start_time_seconds', 'GAUGE', int(c.createdAtNs) / NS_PER_S);
  return out;
}

// The pod-level metrics: network, per interface, labelled as the pod's
// infra container ("POD"), as CRI-O does.
export function sandboxMetrics(s: SandboxSample): CriMetric[] {
  const base = [s.id, 'POD', '', s.namespace, s.pod, 'POD'];
  const out: CriMetric[] = [];
  for (const i of s.interfaces) {
    const add = (name: string, value: number) => out.push({ name, type: 'COUNTER', value: BigInt(value), labels: [...base, i.name] });
    add('container_network_receive_bytes_total', i.rxBytes);
    add('container_network_receive_packets_total', 0);
    add('container_network_receive_packets_dropped_total', 0);
    add('container_network_receive_errors_total', 0);
    add('container_network_transmit_bytes_total', i.txBytes);
    add('container_network_transmit_packets_total', 0);
    add('container_network_transmit_packets_dropped_total', 0);
    add('container_network_transmit_errors_total', 0);
  }
  return out;
}
