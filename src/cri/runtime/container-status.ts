import type { Handler } from '../handler';
import { toContainerStatus } from '../convert';
import { requireId } from '../validate';
import { isPrivileged, runtimeSpec } from '../../pods/runtime-spec';
import type { ContainerStatusRequest__Output } from '../../generated/runtime/v1/ContainerStatusRequest';
import type { ContainerStatusResponse } from '../../generated/runtime/v1/ContainerStatusResponse';

// verbose adds info["info"] in CRI-O's shape, which `crictl inspect` prints.
export const containerStatus: Handler<ContainerStatusRequest__Output, ContainerStatusResponse> = (app, req) => {
  const c = app.containers.store.mustResolve(requireId(req.container_id, 'container_id'));
  const response: ContainerStatusResponse = { status: toContainerStatus(c) };
  if (req.verbose) {
    const sandbox = app.sandboxes.store.get(c.sandboxId);
    response.info = {
      info: JSON.stringify({
        sandboxID: c.sandboxId,
        pid: c.state === 'CONTAINER_RUNNING' ? c.pid : 0,
        runtimeSpec: runtimeSpec(c, sandbox, app.config.runtime.cgroup_driver),
        privileged: isPrivileged(c),
      }),
    };
  }
  return response;
};
