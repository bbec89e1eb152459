import { compact, share } from '../../domain/compact';
import { invalidArgument } from '../../domain/errors';
import type { Handler } from '../handler';
import { MAX_NAME, MAX_PATH, checkMap, checkNoNul, checkString, requireId, requireMessage, requireString } from '../validate';
import type { CreateContainerRequest__Output } from '../../generated/runtime/v1/CreateContainerRequest';
import type { CreateContainerResponse } from '../../generated/runtime/v1/CreateContainerResponse';

export const createContainer: Handler<CreateContainerRequest__Output, CreateContainerResponse> = async (app, req, ctx) => {
  const sandboxId = requireId(req.pod_sandbox_id, 'pod_sandbox_id');
  const config = requireMessage(req.config, 'config');
  const meta = requireMessage(config.metadata, 'config.metadata');
  const image = requireMessage(config.image, 'config.image');
  const sandboxConfig = requireMessage(req.sandbox_config, 'sandbox_config');
  const podMeta = requireMessage(sandboxConfig.metadata, 'sandbox_config.metadata');
  for (const [i, m] of config.mounts.entries()) {
    requireString(m.container_path, `config.mounts[${i}].container_path`, MAX_PATH);
    checkString(m.host_path, `config.mounts[${i}].host_path`, MAX_PATH);
    if (m.container_path.includes('\0') || m.host_path.includes('\0')) throw invalidArgument(`config.mounts[${i}]: a path contains a NUL byte`);
    if (m.image?.image || m.image?.image_ref) {
      // An image volume (KEP-4639): its files come from the image.
      if (m.host_path) throw invalidArgument(`config.mounts[${i}]: host_path and image are both set; an image volume has no host_path`);
      checkString(m.image.image, `config.mounts[${i}].image.image`, MAX_PATH);
      checkString(m.image.image_ref, `config.mounts[${i}].image.image_ref`, MAX_PATH);
      const sub = checkString(m.image_sub_path, `config.mounts[${i}].image_sub_path`, MAX_PATH);
      if (sub.includes('\0') || sub.startsWith('/') || sub.split('/').includes('..')) {
        throw invalidArgument(`config.mounts[${i}].image_sub_path "${sub}" must be a relative path inside the image, without ".."`);
      }
    } else if (m.image_sub_path) {
      throw invalidArgument(`config.mounts[${i}]: image_sub_path is set without an image`);
    }
    // As containerd: a recursive read-only mount must be read-only and private.
    if (m.recursive_read_only && !m.readonly) {
      throw invalidArgument(`config.mounts[${i}]: recursive_read_only needs readonly to be set too`);
    }
    if (m.recursive_read_only && m.propagation !== 'PROPAGATION_PRIVATE') {
      throw invalidArgument(`config.mounts[${i}]: recursive_read_only needs propagation PROPAGATION_PRIVATE, not ${m.propagation}`);
    }
  }
  checkNoNul([config.log_path], 'config.log_path');
  checkNoNul(config.command, 'config.command');
  checkNoNul(config.args, 'config.args');
  checkNoNul([config.working_dir], 'config.working_dir');
  // KeyValue.value is bytes since v0.36; the userland's environment is text.
  const envs = config.envs.map((e) => ({ key: e.key, value: e.value.toString('utf8') }));
  checkNoNul(envs.map((e) => `${e.key}=${e.value}`), 'config.envs');
  // As containerd: a group needs a user (RunAsUser or RunAsUserName).
  const sc = config.linux?.security_context;
  if (sc?.run_as_group && !sc.run_as_user && !sc.run_as_username) {
    throw invalidArgument(`config.linux.security_context: user group "${sc.run_as_group.value}" is specified without user`);
  }
  const kept = share(compact({
    command: config.command,
    args: config.args,
    working_dir: config.working_dir,
    envs,
    tty: config.tty,
    stdin: config.stdin,
    stdin_once: config.stdin_once,
    stop_signal: config.stop_signal,
    linux: config.linux,
  }) ?? {}) as { linux?: { resources?: unknown } };
  const input = {
    sandboxId,
    podUid: requireString(podMeta.uid, 'sandbox_config.metadata.uid', MAX_NAME),
    // These too are alike for many pods' containers: kept once (share).
    metadata: share({ name: requireString(meta.name, 'config.metadata.name', MAX_NAME), attempt: meta.attempt }),
    image: share({
      image: requireString(image.image, 'config.image.image', MAX_PATH),
      annotations: checkMap(image.annotations, 'config.image.annotations', false),
      user_specified_image: checkString(image.user_specified_image, 'config.image.user_specified_image', MAX_PATH),
      runtime_handler: checkString(image.runtime_handler, 'config.image.runtime_handler', MAX_NAME),
    }),
    labels: checkMap(config.labels, 'config.labels', true),
    annotations: share(checkMap(config.annotations, 'config.annotations', false)),
    logPath: checkString(config.log_path, 'config.log_path', MAX_PATH),
    mounts: config.mounts.map((m) => compact(m) ?? {}),
    // Kept once, shared with the config's copy (records are never edited
    // in place).
    resources: kept.linux?.resources ?? null,
    config: kept,
  };
  // An image that is a checkpoint archive's path, or a checkpoint image: a
  // restore, as in CRI-O.
  const archive = app.checkpoints.archiveOf(input.image.image);
  const container = archive ? await app.checkpoints.restore(input, archive, ctx.signal) : await app.containers.create(input);
  return { container_id: container.id };
};
