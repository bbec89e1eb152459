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
}
