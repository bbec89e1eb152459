import { describe, expect, it } from 'vitest';
import { sandboxRecord } from '../../test/rootfs-fixture';
import { hostPorts } from './port-mappings';

describe('hostPorts', () => {
  const of = (port_mappings: object[], ips: string[] | null = ['10.0.0.5']) => hostPorts(sandboxRecord('sb', { ips, config: { port_mappings } }));

  it('TCP mappings with a host port, on host_ip or 0.0.0.0; an absent protocol is TCP', () => {
    expect(of([{ container_port: 80, host_port: 8080 }, { protocol: 'TCP', container_port: 81, host_port: 8081, host_ip: '127.0.0.1' }])).toEqual([
      { hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80 },
      { hostIp: '127.0.0.1', hostPort: 8081, containerPort: 81 },
    ]);
  });

  it('skips UDP and SCTP, container-port-only mappings, repeats, and host-network pods', () => {
    expect(of([{ protocol: 'UDP', container_port: 53, host_port: 53 }, { protocol: 'SCTP', container_port: 9, host_port: 9 }, { container_port: 80 }])).toEqual([]);
    expect(of([{ container_port: 80, host_port: 8080 }, { container_port: 81, host_port: 8080 }])).toEqual([{ hostIp: '0.0.0.0', hostPort: 8080, containerPort: 81 }]);
    expect(of([{ container_port: 80, host_port: 8080 }], null)).toEqual([]);
    expect(of([{ container_port: 80, host_port: 70000 }, { container_port: -1, host_port: 8080 }])).toEqual([]);
    expect(hostPorts(sandboxRecord('sb', { config: {} }))).toEqual([]);
  });
});
