import { invalidArgument } from '../../domain/errors';
import type { Handler } from '../handler';
import { checkString } from '../validate';
import type { RuntimeConfigRequest__Output } from '../../generated/runtime/v1/RuntimeConfigRequest';
import type { RuntimeConfigResponse } from '../../generated/runtime/v1/RuntimeConfigResponse';
import type { UpdateRuntimeConfigRequest__Output } from '../../generated/runtime/v1/UpdateRuntimeConfigRequest';
import type { UpdateRuntimeConfigResponse } from '../../generated/runtime/v1/UpdateRuntimeConfigResponse';

// The kubelet takes its cgroup driver from here when the runtime reports one.
export const runtimeConfig: Handler<RuntimeConfigRequest__Output, RuntimeConfigResponse> = (app) => ({
  linux: { cgroup_driver: app.config.runtime.cgroup_driver === 'systemd' ? 'SYSTEMD' : 'CGROUPFS' },
});

// The kubelet sends the node's pod CIDR once it knows it; new sandboxes get
// their IPs from it. An empty pod_cidr changes nothing.
export const updateRuntimeConfig: Handler<UpdateRuntimeConfigRequest__Output, UpdateRuntimeConfigResponse> = (app, req) => {
  const podCidr = checkString(req.runtime_config?.network_config?.pod_cidr ?? '', 'runtime_config.network_config.pod_cidr', 1024);
  if (podCidr === '' || podCidr === app.ipam.podCidr) return {};
  try {
    app.setPodCidr(podCidr);
  } catch (err) {
    throw invalidArgument(`runtime_config.network_config.pod_cidr: ${(err as Error).message}`);
  }
  return {};
};
