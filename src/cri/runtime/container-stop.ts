import type { Handler } from '../handler';
import { checkInt, requireId } from '../validate';
import type { StopContainerRequest__Output } from '../../generated/runtime/v1/StopContainerRequest';
import type { StopContainerResponse } from '../../generated/runtime/v1/StopContainerResponse';

// Stopping a container that is not running is success; an unknown id is
// NOT_FOUND, as in containerd.
export const stopContainer: Handler<StopContainerRequest__Output, StopContainerResponse> = async (app, req) => {
  const id = requireId(req.container_id, 'container_id');
  const timeout = checkInt(req.timeout, 'timeout', -1, 365 * 24 * 3600);
  await app.containers.stop(id, timeout);
  return {};
};
