import type { Handler } from '../handler';
import { requireId } from '../validate';
import type { ReopenContainerLogRequest__Output } from '../../generated/runtime/v1/ReopenContainerLogRequest';
import type { ReopenContainerLogResponse } from '../../generated/runtime/v1/ReopenContainerLogResponse';

// The kubelet renames the log file when it rotates it, then asks for a fresh
// one at the same path.
export const reopenContainerLog: Handler<ReopenContainerLogRequest__Output, ReopenContainerLogResponse> = (app, req) => {
  app.containers.reopenLog(requireId(req.container_id, 'container_id'));
  return {};
};
