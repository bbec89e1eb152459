import { compact } from '../../domain/compact';
import type { Handler } from '../handler';
import { requireId } from '../validate';
import type { UpdatePodSandboxResourcesRequest__Output } from '../../generated/runtime/v1/UpdatePodSandboxResourcesRequest';
import type { UpdatePodSandboxResourcesResponse } from '../../generated/runtime/v1/UpdatePodSandboxResourcesResponse';

// Pod-level in-place resize: the kubelet has already resized the pod cgroup
// and tells the runtime. Recorded on the sandbox; PodSandboxStatus (verbose)
// and the containers' /sys/fs/cgroup show it.
export const updatePodSandboxResources: Handler<UpdatePodSandboxResourcesRequest__Output, UpdatePodSandboxResourcesResponse> = (app, req) => {
  const id = requireId(req.pod_sandbox_id, 'pod_sandbox_id');
  app.sandboxes.updateResources(id, plain(req.overhead), plain(req.resources));
  return {};
};

// LinuxContainerResources' int64 fields, which decode as strings.
const INT64 = new Set(['cpu_period', 'cpu_quota', 'cpu_shares', 'memory_limit_in_bytes', 'oom_score_adj', 'memory_swap_limit_in_bytes']);

// As JSON without the unset fields ("0" for an int64).
function plain(r: object | null): object | null {
  if (!r) return null;
  const set = Object.fromEntries(Object.entries(r).filter(([k, v]) => !(INT64.has(k) && v === '0')));
  return compact(set) ?? null;
}
