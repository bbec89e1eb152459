import type { Handler } from '../handler';
import type { StatusRequest__Output } from '../../generated/runtime/v1/StatusRequest';
import type { StatusResponse } from '../../generated/runtime/v1/StatusResponse';

// Polled by the kubelet every few seconds: RuntimeReady=false makes the node
// NotReady, NetworkReady=false keeps pod-network pods from starting.
export const status: Handler<StatusRequest__Output, StatusResponse> = (app, req) => {
  const response: StatusResponse = {
    status: { conditions: app.runtimeConditions() },
    runtime_handlers: [
      { name: '', features: { recursive_read_only_mounts: true, user_namespaces: false } },
      ...app.config.runtime.handlers.map((name) => ({ name, features: { recursive_read_only_mounts: true, user_namespaces: false } })),
    ],
    features: { supplemental_groups_policy: true, user_namespaces_host_network: false },
  };
  if (req.verbose) {
    response.info = {
      config: JSON.stringify({
        runtimeName: app.config.runtime.name,
        cgroupDriver: app.config.runtime.cgroup_driver,
        sandboxImage: app.config.runtime.sandbox_image,
        podCidr: app.ipam.podCidr,
        stateDir: app.stateDir,
      }),
      stats: JSON.stringify({
        sandboxes: app.sandboxes.store.size,
        containers: app.containers.store.size,
        images: app.images.store.size,
      }),
    };
  }
  return response;
};
