import { compactResources } from '../domain/compact';
import { failedPrecondition } from '../domain/errors';

/*
 Pod sandbox states (CRI PodSandboxState):

   RunPodSandbox         StopPodSandbox            RemovePodSandbox
  ───────────────▶ READY ───────────────▶ NOTREADY ─────────────────▶ (gone)

 StopPodSandbox on NOTREADY is a no-op; RemovePodSandbox on READY stops first.
*/
export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

const allowed: Record<SandboxState, SandboxState[]> = {
  SANDBOX_READY: ['SANDBOX_NOTREADY'],
  SANDBOX_NOTREADY: [],
};

export function setSandboxState(sandbox: Sandbox, to: SandboxState): void {
  if (!allowed[sandbox.state].includes(to)) {
    throw failedPrecondition(`pod sandbox "${sandbox.id}" cannot go from ${sandbox.state} to ${to}`);
  }
  sandbox.state = to;
}

export type StringMap = Record<string, string>;

export interface PodMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

// The sandbox as fakecri keeps it. `config` holds the parts of the kubelet's
// PodSandboxConfig that are echoed back or inspected, as plain JSON.
export interface Sandbox {
  id: string;
  metadata: PodMetadata;
  state: SandboxState;
  createdAt: string;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
  hostname: string;
  logDirectory: string;
  cgroupParent: string;
  // Echoed in PodSandboxStatus.linux.namespaces.options; the kubelet recreates
  // a sandbox whose network mode does not match what it asked for.
  namespaceOptions: unknown;
  // null for host-network sandboxes.
  ips: string[] | null;
  config: unknown;
  // Pod-level LinuxContainerResources from the last UpdatePodSandboxResources
  // (null: the call left it unset). Absent until the first call: the pod's
  // are then RunPodSandbox's config.linux.overhead and .resources.
  overhead?: unknown;
  resources?: unknown;
}

// The pod's overhead and resources as last told: UpdatePodSandboxResources,
// else RunPodSandbox's config.
export function podResources(s: Sandbox): { overhead: unknown; resources: unknown } {
  const linux = (s.config as { linux?: { overhead?: unknown; resources?: unknown } | null } | undefined)?.linux;
  return {
    overhead: s.overhead !== undefined ? s.overhead : compactResources(linux?.overhead),
    resources: s.resources !== undefined ? s.resources : compactResources(linux?.resources),
  };
}
