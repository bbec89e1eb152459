import type { Handler } from '../handler';
import { requireId } from '../validate';
import type { StopPodSandboxRequest__Output } from '../../generated/runtime/v1/StopPodSandboxRequest';
import type { StopPodSandboxResponse } from '../../generated/runtime/v1/StopPodSandboxResponse';

// Idempotent, also for unknown ids: the kubelet calls it repeatedly.
export const stopPodSandbox: Handler<StopPodSandboxRequest__Output, StopPodSandboxResponse> = async (app, req) => {
  await app.sandboxes.stop(requireId(req.pod_sandbox_id, 'pod_sandbox_id'));
  return {};
};
