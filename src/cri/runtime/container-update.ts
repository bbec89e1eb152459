import { compact } from '../../domain/compact';
import type { Handler } from '../handler';
import { requireId } from '../validate';
import type { UpdateContainerResourcesRequest__Output } from '../../generated/runtime/v1/UpdateContainerResourcesRequest';
import type { UpdateContainerResourcesResponse } from '../../generated/runtime/v1/UpdateContainerResourcesResponse';

// Stores the new limits; ContainerStatus.resources reports them back, which is
// how the kubelet confirms an in-place pod resize.
export const updateContainerResources: Handler<UpdateContainerResourcesRequest__Output, UpdateContainerResourcesResponse> = (app, req) => {
  const id = requireId(req.container_id, 'container_id');
  app.containers.updateResources(id, compact(req.linux) ?? null);
  return {};
};
