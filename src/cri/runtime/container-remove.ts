import type { Handler } from '../handler';
import { requireId } from '../validate';
import type { RemoveContainerRequest__Output } from '../../generated/runtime/v1/RemoveContainerRequest';
import type { RemoveContainerResponse } from '../../generated/runtime/v1/RemoveContainerResponse';

// Idempotent; a running container is killed first.
export const removeContainer: Handler<RemoveContainerRequest__Output, RemoveContainerResponse> = async (app, req) => {
  await app.containers.remove(requireId(req.container_id, 'container_id'));
  return {};
};
