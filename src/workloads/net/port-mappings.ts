import type { PortMapping } from '../../generated/runtime/v1/PortMapping';
import type { Sandbox } from '../../store/sandbox';

// The sandbox's port mappings that open a port on the host: TCP ones with
// a host_port, as CNI's portmap plugin sets them up. Host-network pods
// have none (containerd calls no CNI for them: their ports are the host's).
export interface HostPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

// The CRI's ports are int32: anything else opens nothing.
const isPort = (p: number | undefined): p is number => Number.isInteger(p) && p! > 0 && p! < 65536;

export function hostPorts(sandbox: Sandbox): HostPort[] {
  if (sandbox.ips === null) return [];
  const mappings = (sandbox.config as { port_mappings?: PortMapping[] } | null)?.port_mappings ?? [];
  const out = new Map<string, HostPort>();
  for (const m of mappings) {
    // The stored config is compacted: an absent protocol is TCP (0).
    const tcp = m.protocol === undefined || m.protocol === 'TCP' || m.protocol === 0;
    if (!tcp || !isPort(m.host_port) || !isPort(m.container_port)) continue;
    const hostIp = m.host_ip || '0.0.0.0';
    out.set(`${hostIp}:${m.host_port}`, { hostIp, hostPort: m.host_port, containerPort: m.container_port });
  }
  return [...out.values()];
}
