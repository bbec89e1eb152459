import type { Handler } from '../handler';
import { requireId } from '../validate';
import type { RemovePodSandboxRequest__Output } from '../../generated/runtime/v1/RemovePodSandboxRequest';
import type { RemovePodSandboxResponse } from '../../generated/runtime/v1/RemovePodSandboxResponse';

// Idempotent; removes the sandbox's containers too.
export const removePodSandbox: Handler<RemovePodSandboxRequest__Output, RemovePodSandboxResponse> = async (app, req) => {
  await app.sandboxes.remove(requireId(req.pod_sandbox_id, 'pod_sandbox_id'));
  return {};
};
