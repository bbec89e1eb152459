import type { Handler } from '../handler';
import { requireId } from '../validate';
import type { StartContainerRequest__Output } from '../../generated/runtime/v1/StartContainerRequest';
import type { StartContainerResponse } from '../../generated/runtime/v1/StartContainerResponse';

export const startContainer: Handler<StartContainerRequest__Output, StartContainerResponse> = (app, req) => {
  app.containers.start(requireId(req.container_id, 'container_id'));
  return {};
};
