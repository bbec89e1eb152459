import type { Handler } from '../handler';
import type { StatusRequest__Output } from '../../generated/runtime/v1/StatusRequest';
import type { StatusResponse } from '../../generated/runtime/v1/StatusResponse';

// Every handler runs containers the same way. Each feature is honoured in
// the container userland: a read-only mount refuses writes at every depth
// below it (EROFS), so recursive read-only holds; a pod's userns_options
// are checked at RunPodSandbox and shown in /proc/<pid>/uid_map and gid_map.
const HANDLER_FEATURES = { recursive_read_only_mounts: true, user_namespaces: true };

// Polled by the kubelet every few seconds: RuntimeReady=false makes the node
// NotReady, NetworkReady=false keeps pod-network pods from starting.
export const status: Handler<StatusRequest__Output, StatusResponse> = (app, req) => {
  const response: StatusResponse = {
    status: { conditions: app.runtimeConditions() },
    runtime_handlers: [{ name: '', features: HANDLER_FEATURES }, ...app.config.runtime.handlers.map((name) => ({ name, features: HANDLER_FEATURES }))],
    features: {
      // ContainerStatus.user, and Strict leaves the image's /etc/group out.
      supplemental_groups_policy: true,
      // Nothing ties the network to the user namespace here.
      user_namespaces_host_network: true,
    },
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
