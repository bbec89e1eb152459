import { compactResources } from '../../domain/compact';
import type { Handler } from '../handler';
import { requireId } from '../validate';
import type { UpdatePodSandboxResourcesRequest__Output } from '../../generated/runtime/v1/UpdatePodSandboxResourcesRequest';
import type { UpdatePodSandboxResourcesResponse } from '../../generated/runtime/v1/UpdatePodSandboxResourcesResponse';

// Pod-level in-place resize: the kubelet has already resized the pod cgroup
// and tells the runtime. Recorded on the sandbox; PodSandboxStatus (verbose)
// and the containers' /sys/fs/cgroup show it.
export const updatePodSandboxResources: Handler<UpdatePodSandboxResourcesRequest__Output, UpdatePodSandboxResourcesResponse> = (app, req) => {
  const id = requireId(req.pod_sandbox_id, 'pod_sandbox_id');
  app.sandboxes.updateResources(id, compactResources(req.overhead), compactResources(req.resources));
  return {};
};
