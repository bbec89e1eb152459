import { processSpec } from '../../workloads/userland/process-spec';
import type { Handler } from '../handler';
import { toContainerStatus } from '../convert';
import { type Encoded, ItemEncoder, encodeRepeated } from '../encode';
import type { Container } from '../../store/container';
import { requireId } from '../validate';
import { isPrivileged, runtimeSpec } from '../../pods/runtime-spec';
import type { ContainerStatusRequest__Output } from '../../generated/runtime/v1/ContainerStatusRequest';
import type { ContainerStatusResponse } from '../../generated/runtime/v1/ContainerStatusResponse';

const encoder = new ItemEncoder<Container>('runtime.v1.ContainerStatus', toContainerStatus);

// verbose adds info["info"] in CRI-O's shape, which `crictl inspect` prints.
// The kubelet asks for every changed container on every PLEG relist, so the
// plain answer comes from the record's cached encoding (see encode.ts).
export const containerStatus: Handler<ContainerStatusRequest__Output, ContainerStatusResponse | Encoded> = (app, req) => {
  const c = app.containers.store.mustResolve(requireId(req.container_id, 'container_id'));
  if (!req.verbose) return encodeRepeated(1, [encoder.encode(c)]);
  const sandbox = app.sandboxes.store.get(c.sandboxId);
  return {
    status: toContainerStatus(c),
    info: {
      info: JSON.stringify({
        sandboxID: c.sandboxId,
        pid: c.state === 'CONTAINER_RUNNING' ? c.pid : 0,
        runtimeSpec: runtimeSpec(c, sandbox, app.config.runtime.cgroup_driver, processSpec(c.config, app.images.find(c.imageId)?.config, sandbox?.hostname ?? '')),
        privileged: isPrivileged(c),
      }),
    },
  };
};
