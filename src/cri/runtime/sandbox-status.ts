import type { Handler } from '../handler';
import { toContainerStatus, toPodSandboxStatus } from '../convert';
import { requireId } from '../validate';
import { podResources } from '../../store/sandbox';
import type { PodSandboxStatusRequest__Output } from '../../generated/runtime/v1/PodSandboxStatusRequest';
import type { PodSandboxStatusResponse } from '../../generated/runtime/v1/PodSandboxStatusResponse';

export const podSandboxStatus: Handler<PodSandboxStatusRequest__Output, PodSandboxStatusResponse> = (app, req) => {
  const sandbox = app.sandboxes.store.mustResolve(requireId(req.pod_sandbox_id, 'pod_sandbox_id'));
  const response: PodSandboxStatusResponse = {
    status: toPodSandboxStatus(sandbox),
    // Evented PLEG reads the container statuses from here.
    containers_statuses: app.containers.inSandbox(sandbox.id).map(toContainerStatus),
    timestamp: String(BigInt(Date.now()) * 1_000_000n),
  };
  if (req.verbose) {
    response.info = {
      info: JSON.stringify({
        id: sandbox.id,
        metadata: sandbox.metadata,
        hostname: sandbox.hostname,
        logDirectory: sandbox.logDirectory,
        cgroupParent: sandbox.cgroupParent,
        ips: sandbox.ips,
        runtimeHandler: sandbox.runtimeHandler,
        config: sandbox.config,
        // The pod cgroup's, as containerd keeps them in the sandbox status:
        // UpdatePodSandboxResources's, else RunPodSandbox's.
        ...podResources(sandbox),
      }),
    };
  }
  return response;
};
