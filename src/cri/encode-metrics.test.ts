import { describe, expect, it } from 'vitest';
import { type PodMetrics, encodePodMetricsList } from './encode-metrics';
import { loadCriProto } from './proto';

const service = loadCriProto().runtime.v1.RuntimeService.service;
const list = service.ListPodSandboxMetrics;
const stream = service.StreamPodSandboxMetrics;

// The hand-written encoding against protobufjs's, through the same decoder.
describe('encodePodMetricsList', () => {
  const base = ['id1', 'k8s_c_p_ns_uid_0', 'busybox', 'ns', 'p', 'c'];
  const pods: PodMetrics[] = [
    {
      sandboxId: 's1',
      timestamp: 1796380681041778079n,
      metrics: [{ name: 'container_network_receive_bytes_total', type: 'COUNTER', value: 0n, labels: ['s1', 'POD', '', 'ns', 'p', 'POD', 'eth0'] }],
      containers: [
        {
          id: 'id1',
          metrics: [
            { name: 'container_memory_working_set_bytes', type: 'GAUGE', value: 50331648n, labels: base },
            { name: 'container_cpu_usage_seconds_total', type: 'COUNTER', value: 3n, labels: [...base, 'total'] },
            { name: 'container_fs_limit_bytes', type: 'GAUGE', value: 2n ** 63n + 5n, labels: base },
            { name: 'container_processes', type: 'GAUGE', value: 0n, labels: ['é€', ...base.slice(1)] },
          ],
        },
        { id: 'id2', metrics: [] },
      ],
    },
    { sandboxId: 's2', timestamp: 1n, metrics: [], containers: [] },
  ];
  const asMessage = (p: PodMetrics) => ({
    pod_sandbox_id: p.sandboxId,
    metrics: p.metrics.map((m) => ({ name: m.name, timestamp: String(p.timestamp), metric_type: m.type, label_values: m.labels, value: { value: String(m.value) } })),
    container_metrics: p.containers.map((c) => ({
      container_id: c.id,
      metrics: c.metrics.map((m) => ({ name: m.name, timestamp: String(p.timestamp), metric_type: m.type, label_values: m.labels, value: { value: String(m.value) } })),
    })),
  });

  it('decodes as protobufjs encodes it, for the unary and the streaming answer', () => {
    const ours = encodePodMetricsList(pods);
    const theirs = list.responseSerialize({ pod_metrics: pods.map(asMessage) }) as Buffer;
    expect(list.responseDeserialize(ours)).toEqual(list.responseDeserialize(theirs));
    expect(stream.responseDeserialize(ours)).toEqual(stream.responseDeserialize(stream.responseSerialize({ pod_sandbox_metrics: pods.map(asMessage) })));
  });

  it('an empty list is an empty message', () => {
    expect(encodePodMetricsList([]).length).toBe(0);
  });
});
