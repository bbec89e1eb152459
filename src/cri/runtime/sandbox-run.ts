import { compact, share } from '../../domain/compact';
import { invalidArgument } from '../../domain/errors';
import { checkBehaviourAnnotations } from '../../workloads/behaviour';
import { cgroupParentProblem } from '../../pods/cgroup-parent';
import type { Handler } from '../handler';
import { MAX_NAME, MAX_PATH, checkEnum, checkMap, checkString, requireMessage, requireString } from '../validate';
import type { RunPodSandboxRequest__Output } from '../../generated/runtime/v1/RunPodSandboxRequest';
import type { RunPodSandboxResponse } from '../../generated/runtime/v1/RunPodSandboxResponse';
import type { UserNamespace__Output } from '../../generated/runtime/v1/UserNamespace';

const NAMESPACE_MODES = ['POD', 'CONTAINER', 'NODE', 'TARGET'] as const;

export const runPodSandbox: Handler<RunPodSandboxRequest__Output, RunPodSandboxResponse> = (app, req) => {
  const config = requireMessage(req.config, 'config');
  const meta = requireMessage(config.metadata, 'config.metadata');
  const logDirectory = checkString(config.log_directory, 'config.log_directory', MAX_PATH);
  if (logDirectory && !logDirectory.startsWith('/')) throw invalidArgument(`config.log_directory "${logDirectory}" must be an absolute path`);
  if (logDirectory.split('/').includes('..') || logDirectory.includes('\0')) throw invalidArgument(`config.log_directory "${logDirectory}" must not contain ".." or NUL`);
  const cgroupParent = checkString(config.linux?.cgroup_parent ?? '', 'config.linux.cgroup_parent', MAX_PATH);
  const cgroupProblem = cgroupParentProblem(cgroupParent, app.config.runtime.cgroup_driver, app.config.personality === 'crio');
  if (cgroupProblem) throw invalidArgument(`config.linux.cgroup_parent "${cgroupParent}": ${cgroupProblem}`);
  const handler = checkString(req.runtime_handler, 'runtime_handler', MAX_NAME);
  if (handler && !app.config.runtime.handlers.includes(handler)) {
    throw invalidArgument(`runtime_handler "${handler}" is not configured (known: ${app.config.runtime.handlers.join(', ') || 'none'})`);
  }
  const nsOptions = config.linux?.security_context?.namespace_options ?? null;
  const network = nsOptions ? checkEnum(nsOptions.network, 'config.linux.security_context.namespace_options.network', NAMESPACE_MODES) : 'POD';
  if (nsOptions) {
    checkEnum(nsOptions.pid, 'config.linux.security_context.namespace_options.pid', NAMESPACE_MODES);
    checkEnum(nsOptions.ipc, 'config.linux.security_context.namespace_options.ipc', NAMESPACE_MODES);
    checkUserns(nsOptions.userns_options, 'config.linux.security_context.namespace_options.userns_options');
  }
  const annotations = checkMap(config.annotations, 'config.annotations', false);
  // fakecri's own annotations are checked before anything is created.
  app.faults.checkAnnotations(annotations);
  checkBehaviourAnnotations(annotations);
  const kept = share(compact({ dns_config: config.dns_config, port_mappings: config.port_mappings, linux: config.linux }) ?? {}) as {
    linux?: { security_context?: { namespace_options?: unknown } };
  };
  const sandbox = app.sandboxes.run({
    metadata: {
      name: requireString(meta.name, 'config.metadata.name', MAX_NAME),
      uid: requireString(meta.uid, 'config.metadata.uid', MAX_NAME),
      namespace: requireString(meta.namespace, 'config.metadata.namespace', MAX_NAME),
      attempt: meta.attempt,
    },
    labels: checkMap(config.labels, 'config.labels', true),
    annotations,
    runtimeHandler: handler,
    hostname: checkString(config.hostname, 'config.hostname', MAX_NAME),
    logDirectory,
    cgroupParent,
    hostNetwork: network === 'NODE',
    // Kept once, shared with the config's copy (records are never edited
    // in place).
    namespaceOptions: kept.linux?.security_context?.namespace_options ?? null,
    config: kept,
  });
  return { pod_sandbox_id: sandbox.id };
};

const MAX_ID = 2 ** 32;

// A pod's own user namespace (POD) needs one uid and one gid mapping that
// maps container id 0, as the kubelet sends them for hostUsers: false and
// containerd takes them; the node's (NODE) takes none.
function checkUserns(u: UserNamespace__Output | null, field: string): void {
  if (!u) return;
  const mode = checkEnum(u.mode, `${field}.mode`, ['POD', 'NODE'] as const);
  for (const kind of ['uids', 'gids'] as const) {
    const maps = u[kind];
    if (mode === 'NODE' && maps.length) throw invalidArgument(`${field}.${kind}: mode NODE takes no mappings`);
    if (mode === 'POD' && !maps.length) throw invalidArgument(`${field}.${kind}: mode POD needs at least one mapping`);
    if (maps.length > 1) throw invalidArgument(`${field}.${kind}: ${maps.length} mappings, only one is supported`);
    if (mode === 'POD' && maps[0].container_id !== 0) throw invalidArgument(`${field}.${kind}[0]: container id 0 must be mapped, not ${maps[0].container_id}`);
    maps.forEach((m, i) => {
      if (m.length === 0) throw invalidArgument(`${field}.${kind}[${i}].length must not be 0`);
      if (m.host_id + m.length > MAX_ID || m.container_id + m.length > MAX_ID) throw invalidArgument(`${field}.${kind}[${i}] goes past id ${MAX_ID - 1}`);
    });
  }
}
