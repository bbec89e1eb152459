import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';

// Bad input gets a clear status naming the field or object, the server stays
// up, and nothing changes.
describe('bad input', () => {
  let h: Harness;
  let sandboxId = '';
  let containerId = '';
  const huge = 'x'.repeat(1024 * 1024);

  beforeAll(async () => {
    h = await startHarness();
    await h.img('PullImage', { image: { image: 'busybox' } });
    sandboxId = (await h.rt('RunPodSandbox', { config: podConfig('p', { uid: 'uid-p' }) })).pod_sandbox_id;
    containerId = (await h.rt('CreateContainer', { pod_sandbox_id: sandboxId, config: containerConfig('c', 'busybox'), sandbox_config: podConfig('p', { uid: 'uid-p' }) })).container_id;
  });
  afterAll(() => h.close());

  async function snapshot() {
    return {
      sandboxes: (await h.rt('ListPodSandbox')).items,
      containers: (await h.rt('ListContainers')).containers,
      images: (await h.img('ListImages')).images,
    };
  }

  const cases: [string, 'rt' | 'img', string, () => object, status, RegExp][] = [
    ['RunPodSandbox without config', 'rt', 'RunPodSandbox', () => ({}), status.INVALID_ARGUMENT, /config is required/],
    ['RunPodSandbox without metadata', 'rt', 'RunPodSandbox', () => ({ config: { hostname: 'x' } }), status.INVALID_ARGUMENT, /config\.metadata is required/],
    ['RunPodSandbox with an empty name', 'rt', 'RunPodSandbox', () => ({ config: { ...podConfig(''), metadata: { name: '', uid: 'u', namespace: 'n' } } }), status.INVALID_ARGUMENT, /config\.metadata\.name is required/],
    ['RunPodSandbox without uid', 'rt', 'RunPodSandbox', () => ({ config: { metadata: { name: 'a', namespace: 'n' } } }), status.INVALID_ARGUMENT, /config\.metadata\.uid is required/],
    ['RunPodSandbox with a 1 MiB name', 'rt', 'RunPodSandbox', () => ({ config: { ...podConfig('a'), metadata: { name: huge, uid: 'u', namespace: 'n' } } }), status.INVALID_ARGUMENT, /config\.metadata\.name is 1048576 characters long/],
    ['RunPodSandbox with a relative log directory', 'rt', 'RunPodSandbox', () => ({ config: { ...podConfig('rel'), log_directory: 'var/log' } }), status.INVALID_ARGUMENT, /config\.log_directory/],
    ['RunPodSandbox with an invalid namespace mode', 'rt', 'RunPodSandbox', () => ({ config: { ...podConfig('ns'), linux: { security_context: { namespace_options: { network: 42 } } } } }), status.INVALID_ARGUMENT, /namespace_options\.network 42 is not one of/],
    ['RunPodSandbox with an unknown runtime handler', 'rt', 'RunPodSandbox', () => ({ config: podConfig('rh'), runtime_handler: 'kata' }), status.INVALID_ARGUMENT, /runtime_handler "kata"/],
    ['RunPodSandbox twice for the same pod and attempt', 'rt', 'RunPodSandbox', () => ({ config: podConfig('p', { uid: 'uid-p' }) }), status.FAILED_PRECONDITION, /failed to reserve sandbox name "p_default_uid-p_0"/],
    ['PodSandboxStatus without id', 'rt', 'PodSandboxStatus', () => ({}), status.INVALID_ARGUMENT, /pod_sandbox_id is required/],
    ['PodSandboxStatus of an unknown id', 'rt', 'PodSandboxStatus', () => ({ pod_sandbox_id: 'f'.repeat(64) }), status.NOT_FOUND, /pod sandbox "f{64}" not found/],
    ['PodSandboxStatus with a 1 MiB id', 'rt', 'PodSandboxStatus', () => ({ pod_sandbox_id: huge }), status.INVALID_ARGUMENT, /pod_sandbox_id is 1048576 characters long/],
    ['StopPodSandbox without id', 'rt', 'StopPodSandbox', () => ({}), status.INVALID_ARGUMENT, /pod_sandbox_id is required/],
    ['RemovePodSandbox without id', 'rt', 'RemovePodSandbox', () => ({}), status.INVALID_ARGUMENT, /pod_sandbox_id is required/],
    ['ListPodSandbox with an invalid state', 'rt', 'ListPodSandbox', () => ({ filter: { state: { state: 9 } } }), status.INVALID_ARGUMENT, /filter\.state\.state 9/],
    ['CreateContainer without sandbox id', 'rt', 'CreateContainer', () => ({ config: containerConfig('c2', 'busybox'), sandbox_config: podConfig('p', { uid: 'uid-p' }) }), status.INVALID_ARGUMENT, /pod_sandbox_id is required/],
    ['CreateContainer in an unknown sandbox', 'rt', 'CreateContainer', () => ({ pod_sandbox_id: 'nope', config: containerConfig('c2', 'busybox'), sandbox_config: podConfig('p', { uid: 'uid-p' }) }), status.NOT_FOUND, /pod sandbox "nope" not found/],
    ['CreateContainer without config', 'rt', 'CreateContainer', () => ({ pod_sandbox_id: sandboxId, sandbox_config: podConfig('p', { uid: 'uid-p' }) }), status.INVALID_ARGUMENT, /^3 INVALID_ARGUMENT: config is required/],
    ['CreateContainer without sandbox_config', 'rt', 'CreateContainer', () => ({ pod_sandbox_id: sandboxId, config: containerConfig('c2', 'busybox') }), status.INVALID_ARGUMENT, /sandbox_config is required/],
    ['CreateContainer without image', 'rt', 'CreateContainer', () => ({ pod_sandbox_id: sandboxId, config: { ...containerConfig('c2', 'busybox'), image: null }, sandbox_config: podConfig('p', { uid: 'uid-p' }) }), status.INVALID_ARGUMENT, /config\.image is required/],
    ['CreateContainer with a 1 MiB name', 'rt', 'CreateContainer', () => ({ pod_sandbox_id: sandboxId, config: { ...containerConfig('c2', 'busybox'), metadata: { name: huge } }, sandbox_config: podConfig('p', { uid: 'uid-p' }) }), status.INVALID_ARGUMENT, /config\.metadata\.name is 1048576 characters long/],
    ['CreateContainer with a config for another pod', 'rt', 'CreateContainer', () => ({ pod_sandbox_id: sandboxId, config: containerConfig('c2', 'busybox'), sandbox_config: podConfig('other', { uid: 'uid-other' }) }), status.INVALID_ARGUMENT, /sandbox_config\.metadata\.uid "uid-other" does not match pod sandbox/],
    ['CreateContainer with an image not pulled', 'rt', 'CreateContainer', () => ({ pod_sandbox_id: sandboxId, config: containerConfig('c2', 'redis:7'), sandbox_config: podConfig('p', { uid: 'uid-p' }) }), status.NOT_FOUND, /image "redis:7" not found/],
    ['CreateContainer with a log path escaping the log directory', 'rt', 'CreateContainer', () => ({ pod_sandbox_id: sandboxId, config: { ...containerConfig('c2', 'busybox'), log_path: '../../etc/x' }, sandbox_config: podConfig('p', { uid: 'uid-p' }) }), status.INVALID_ARGUMENT, /log_path "..\/..\/etc\/x"/],
    ['CreateContainer twice with the same name and attempt', 'rt', 'CreateContainer', () => ({ pod_sandbox_id: sandboxId, config: containerConfig('c', 'busybox'), sandbox_config: podConfig('p', { uid: 'uid-p' }) }), status.FAILED_PRECONDITION, /failed to reserve container name "c_p_default_uid-p_0".*is reserved for/],
    ['CreateContainer with a recursive read-only mount that is not read-only', 'rt', 'CreateContainer', () => ({ pod_sandbox_id: sandboxId, config: { ...containerConfig('c2', 'busybox'), mounts: [{ container_path: '/m', host_path: '/tmp', recursive_read_only: true }] }, sandbox_config: podConfig('p', { uid: 'uid-p' }) }), status.INVALID_ARGUMENT, /mounts\[0\]: recursive_read_only needs readonly/],
    ['CreateContainer with a recursive read-only mount propagating from the host', 'rt', 'CreateContainer', () => ({ pod_sandbox_id: sandboxId, config: { ...containerConfig('c2', 'busybox'), mounts: [{ container_path: '/m', host_path: '/tmp', readonly: true, recursive_read_only: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' }] }, sandbox_config: podConfig('p', { uid: 'uid-p' }) }), status.INVALID_ARGUMENT, /recursive_read_only needs propagation PROPAGATION_PRIVATE, not PROPAGATION_HOST_TO_CONTAINER/],
    ['CreateContainer with RunAsGroup but no user', 'rt', 'CreateContainer', () => ({ pod_sandbox_id: sandboxId, config: { ...containerConfig('c2', 'busybox'), linux: { security_context: { run_as_group: { value: 1002 } } } }, sandbox_config: podConfig('p', { uid: 'uid-p' }) }), status.INVALID_ARGUMENT, /user group "1002" is specified without user/],
    ['StartContainer of an unknown id', 'rt', 'StartContainer', () => ({ container_id: 'nope' }), status.NOT_FOUND, /container "nope" not found/],
    ['StartContainer without id', 'rt', 'StartContainer', () => ({}), status.INVALID_ARGUMENT, /container_id is required/],
    ['StopContainer with a negative timeout', 'rt', 'StopContainer', () => ({ container_id: containerId, timeout: -5 }), status.INVALID_ARGUMENT, /timeout -5/],
    ['RemoveContainer without id', 'rt', 'RemoveContainer', () => ({}), status.INVALID_ARGUMENT, /container_id is required/],
    ['ContainerStatus of an unknown id', 'rt', 'ContainerStatus', () => ({ container_id: 'nope' }), status.NOT_FOUND, /container "nope" not found/],
    ['ContainerStatus with a 1 MiB id', 'rt', 'ContainerStatus', () => ({ container_id: huge }), status.INVALID_ARGUMENT, /container_id is 1048576 characters long/],
    ['ListContainers with an invalid state', 'rt', 'ListContainers', () => ({ filter: { state: { state: 17 } } }), status.INVALID_ARGUMENT, /filter\.state\.state 17/],
    ['UpdateContainerResources of an unknown id', 'rt', 'UpdateContainerResources', () => ({ container_id: 'nope', linux: {} }), status.NOT_FOUND, /container "nope" not found/],
    ['ReopenContainerLog of a created container', 'rt', 'ReopenContainerLog', () => ({ container_id: containerId }), status.FAILED_PRECONDITION, /is created, not running/],
    ['ContainerStats of an unknown id', 'rt', 'ContainerStats', () => ({ container_id: 'nope' }), status.NOT_FOUND, /container "nope" not found/],
    ['PodSandboxStats of an unknown id', 'rt', 'PodSandboxStats', () => ({ pod_sandbox_id: 'nope' }), status.NOT_FOUND, /pod sandbox "nope" not found/],
    ['UpdateRuntimeConfig with a bad CIDR', 'rt', 'UpdateRuntimeConfig', () => ({ runtime_config: { network_config: { pod_cidr: '10.1.2.3/40' } } }), status.INVALID_ARGUMENT, /pod_cidr/],
    ['PullImage without image', 'img', 'PullImage', () => ({}), status.INVALID_ARGUMENT, /image is required/],
    ['PullImage of an empty reference', 'img', 'PullImage', () => ({ image: { image: '' } }), status.INVALID_ARGUMENT, /image\.image is empty/],
    ['PullImage of an invalid reference', 'img', 'PullImage', () => ({ image: { image: 'UPPER/Case:tag' } }), status.INVALID_ARGUMENT, /image\.image "UPPER\/Case:tag" is not a valid image reference/],
    ['PullImage of a bad digest', 'img', 'PullImage', () => ({ image: { image: 'nginx@sha256:abc' } }), status.INVALID_ARGUMENT, /digest/],
    ['PullImage of a 1 MiB reference', 'img', 'PullImage', () => ({ image: { image: huge } }), status.INVALID_ARGUMENT, /longer than 4096/],
    ['ImageStatus without image', 'img', 'ImageStatus', () => ({}), status.INVALID_ARGUMENT, /image is required/],
    ['ImageStatus of an empty name', 'img', 'ImageStatus', () => ({ image: { image: '' } }), status.INVALID_ARGUMENT, /image\.image is required/],
    ['RemoveImage without image', 'img', 'RemoveImage', () => ({}), status.INVALID_ARGUMENT, /image is required/],
    ['Exec without a stream', 'rt', 'Exec', () => ({ container_id: containerId, cmd: ['true'] }), status.INVALID_ARGUMENT, /one of stdin, stdout, or stderr must be set/],
    ['Exec without a command', 'rt', 'Exec', () => ({ container_id: containerId, stdout: true }), status.INVALID_ARGUMENT, /cmd is required/],
    ['Exec in a container that is not running', 'rt', 'Exec', () => ({ container_id: containerId, cmd: ['true'], stdout: true }), status.FAILED_PRECONDITION, /container is in CONTAINER_CREATED state/],
    ['PortForward without a sandbox', 'rt', 'PortForward', () => ({ port: [80] }), status.INVALID_ARGUMENT, /pod_sandbox_id is required/],
    ['ExecSync without a command', 'rt', 'ExecSync', () => ({ container_id: containerId }), status.INVALID_ARGUMENT, /cmd is required/],
    ['ExecSync in an unknown container', 'rt', 'ExecSync', () => ({ container_id: 'nope', cmd: ['true'] }), status.NOT_FOUND, /container "nope" not found/],
    ['ExecSync in a container that is not running', 'rt', 'ExecSync', () => ({ container_id: containerId, cmd: ['true'] }), status.FAILED_PRECONDITION, /is not running/],
    ['ExecSync with a negative timeout', 'rt', 'ExecSync', () => ({ container_id: containerId, cmd: ['true'], timeout: -1 }), status.INVALID_ARGUMENT, /timeout -1/],
    ['Attach with tty and stderr', 'rt', 'Attach', () => ({ container_id: containerId, tty: true, stdout: true, stderr: true }), status.INVALID_ARGUMENT, /tty and stderr cannot both be true/],
    ['Attach to an unknown container', 'rt', 'Attach', () => ({ container_id: 'nope', stdout: true }), status.NOT_FOUND, /container "nope" not found/],
    ['CheckpointContainer without a location', 'rt', 'CheckpointContainer', () => ({ container_id: containerId }), status.INVALID_ARGUMENT, /location is empty/],
    ['CheckpointContainer to a relative location', 'rt', 'CheckpointContainer', () => ({ container_id: containerId, location: 'x.tar' }), status.INVALID_ARGUMENT, /location "x.tar" is not an absolute path/],
    ['CheckpointContainer with a negative timeout', 'rt', 'CheckpointContainer', () => ({ container_id: containerId, location: '/nonexistent/x.tar', timeout: -1 }), status.INVALID_ARGUMENT, /timeout -1/],
    ['CheckpointContainer of a container that is not running', 'rt', 'CheckpointContainer', () => ({ container_id: containerId, location: '/nonexistent/x.tar' }), status.UNKNOWN, /is not running/],
  ];

  it.each(cases)('%s', async (_name, svc, method, request, code, message) => {
    const before = await snapshot();
    const err = await (svc === 'rt' ? h.rt : h.img)(method, request()).then(
      () => undefined,
      (e) => e,
    );
    expect(err, `${method} should fail`).toBeDefined();
    expect(status[err.code]).toBe(status[code]);
    expect(err.message).toMatch(message);
    expect(await snapshot()).toEqual(before);
    expect((await h.rt('Version')).version).toBe('0.1.0');
  });
});
