import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';

// The kubelet's calls for one pod, in its order, checking what the kubelet
// (and cri-client's validation) depends on at each step.
describe('the kubelet call sequence for one pod', () => {
  let h: Harness;
  const uid = 'b1f3c7e0-0000-4000-8000-000000000001';
  const podLabels = { 'io.kubernetes.pod.uid': uid };
  let sandboxId = '';
  let containerId = '';
  let imageRef = '';
  let logDir = '';

  beforeAll(async () => {
    h = await startHarness();
    logDir = join(h.dir, 'pods', `default_web_${uid}`);
  });
  afterAll(() => h.close());

  it('Version answers 0.1.0 with all fields set', async () => {
    const v = await h.rt('Version', { version: 'v1' });
    expect(v).toEqual({ version: '0.1.0', runtime_name: 'fakecri', runtime_version: '0.1.0', runtime_api_version: 'v1' });
  });

  it('Status reports RuntimeReady and NetworkReady true', async () => {
    const s = await h.rt('Status', { verbose: true });
    const conds = Object.fromEntries(s.status.conditions.map((c: any) => [c.type, c.status]));
    expect(conds).toEqual({ RuntimeReady: true, NetworkReady: true });
    expect(JSON.parse(s.info.config).podCidr).toBe('10.88.0.0/16');
  });

  it('RuntimeConfig reports the configured cgroup driver', async () => {
    const r = await h.rt('RuntimeConfig');
    expect(r.linux.cgroup_driver).toBe('CGROUPFS');
  });

  it('UpdateRuntimeConfig stores the pod CIDR', async () => {
    await h.rt('UpdateRuntimeConfig', { runtime_config: { network_config: { pod_cidr: '10.244.1.0/24' } } });
    const s = await h.rt('Status', { verbose: true });
    expect(JSON.parse(s.info.config).podCidr).toBe('10.244.1.0/24');
  });

  it('ImageFsInfo has both filesystems, used_bytes set, real mountpoints', async () => {
    const a = await h.img('ImageFsInfo');
    const b = await h.img('ImageFsInfo');
    for (const fs of [a.image_filesystems[0], a.container_filesystems[0]]) {
      expect(fs.used_bytes).not.toBeNull();
      expect(fs.inodes_used).not.toBeNull();
      expect(statSync(fs.fs_id.mountpoint).isDirectory()).toBe(true);
    }
    expect(BigInt(b.image_filesystems[0].timestamp)).toBeGreaterThan(BigInt(a.image_filesystems[0].timestamp));
  });

  it('ImageStatus of an image not pulled yet is empty, not an error', async () => {
    const r = await h.img('ImageStatus', { image: { image: 'nginx:1.25' } });
    expect(r.image).toBeNull();
  });

  it('PullImage returns the sha256 image id', async () => {
    const r = await h.img('PullImage', { image: { image: 'nginx:1.25' } });
    imageRef = r.image_ref;
    expect(imageRef).toMatch(/^sha256:[a-f0-9]{64}$/);
    const s = await h.img('ImageStatus', { image: { image: 'docker.io/library/nginx:1.25' } });
    expect(s.image.id).toBe(imageRef);
    expect(s.image.repo_tags).toEqual(['docker.io/library/nginx:1.25']);
    expect(s.image.repo_digests[0]).toMatch(/^docker\.io\/library\/nginx@sha256:[a-f0-9]{64}$/);
    expect(Number(s.image.size)).toBeGreaterThan(0);
    expect(s.image.pinned).toBe(false);
  });

  it('RunPodSandbox gives a pod IP from the pod CIDR', async () => {
    const r = await h.rt('RunPodSandbox', { config: podConfig('web', { uid, logDir }) });
    sandboxId = r.pod_sandbox_id;
    expect(sandboxId).toMatch(/^[a-f0-9]{64}$/);
  });

  it('PodSandboxStatus echoes metadata, labels, annotations and the namespace mode', async () => {
    const r = await h.rt('PodSandboxStatus', { pod_sandbox_id: sandboxId });
    const cfg = podConfig('web', { uid, logDir });
    expect(r.status.id).toBe(sandboxId);
    expect(r.status.metadata).toEqual(cfg.metadata);
    expect(r.status.labels).toEqual(cfg.labels);
    expect(r.status.annotations).toEqual(cfg.annotations);
    expect(r.status.state).toBe('SANDBOX_READY');
    expect(r.status.network.ip).toMatch(/^10\.244\.1\.\d+$/);
    expect(r.status.linux.namespaces.options.network).toBe('POD');
    expect(BigInt(r.status.created_at)).toBeGreaterThan(0n);
  });

  it('CreateContainer and StartContainer write the log at log_directory/log_path', async () => {
    // No command: nginx's own entrypoint runs, and stops on its STOPSIGNAL.
    const cfg = { ...containerConfig('app', 'nginx:1.25', { podName: 'web', uid }), command: [], args: [] };
    const r = await h.rt('CreateContainer', { pod_sandbox_id: sandboxId, config: cfg, sandbox_config: podConfig('web', { uid, logDir }) });
    containerId = r.container_id;
    const created = await h.rt('ContainerStatus', { container_id: containerId });
    expect(created.status.state).toBe('CONTAINER_CREATED');
    expect(created.status.started_at).toBe('0');
    await h.rt('StartContainer', { container_id: containerId });
    const logPath = join(logDir, 'app', '0.log');
    expect(existsSync(logPath)).toBe(true);
    // The start line first; nginx's own lines (its entrypoint's, its notices) may follow.
    expect(readFileSync(logPath, 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z stdout F fakecri: container app started\n/);
  });

  it('ListPodSandbox with the pod uid label filter finds the sandbox', async () => {
    const r = await h.rt('ListPodSandbox', { filter: { label_selector: podLabels } });
    expect(r.items.map((s: any) => s.id)).toEqual([sandboxId]);
    const none = await h.rt('ListPodSandbox', { filter: { label_selector: { 'io.kubernetes.pod.uid': 'other' } } });
    expect(none.items).toEqual([]);
  });

  it('ListContainers with the same filter finds the container, with the image id', async () => {
    const r = await h.rt('ListContainers', { filter: { label_selector: podLabels } });
    expect(r.containers).toHaveLength(1);
    const c = r.containers[0];
    expect(c.id).toBe(containerId);
    expect(c.pod_sandbox_id).toBe(sandboxId);
    expect(c.state).toBe('CONTAINER_RUNNING');
    expect(c.image_ref).toBe(imageRef);
    expect(c.image_id).toBe(imageRef);
    expect(c.annotations['io.kubernetes.container.hash']).toBe('abc123');
  });

  it('ContainerStatus has everything the kubelet reads', async () => {
    const r = await h.rt('ContainerStatus', { container_id: containerId, verbose: true });
    const s = r.status;
    expect(s.metadata).toEqual({ name: 'app', attempt: 0 });
    expect(s.state).toBe('CONTAINER_RUNNING');
    expect(BigInt(s.started_at)).toBeGreaterThan(BigInt(s.created_at));
    expect(s.image.image).toBe('nginx:1.25');
    expect(s.image_ref).toBe(imageRef);
    expect(s.image_id).toBe(imageRef);
    expect(s.log_path).toBe(join(logDir, 'app', '0.log'));
    expect(s.resources.linux.memory_limit_in_bytes).toBe('134217728');
    const info = JSON.parse(r.info.info);
    expect(info.sandboxID).toBe(sandboxId);
    expect(info.pid).toBeGreaterThan(0);
    expect(info.privileged).toBe(false);
    expect(info.runtimeSpec.process.args).toEqual(['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
    expect(info.runtimeSpec.linux.seccomp).toBeNull();
  });

  it('ListContainerStats reports the running container with a writable layer', async () => {
    const r = await h.rt('ListContainerStats', { filter: { label_selector: podLabels } });
    expect(r.stats).toHaveLength(1);
    const st = r.stats[0];
    expect(st.attributes.id).toBe(containerId);
    expect(st.attributes.metadata.name).toBe('app');
    expect(st.writable_layer.used_bytes).not.toBeNull();
    expect(st.writable_layer.fs_id.mountpoint).not.toBe('');
  });

  it('StopContainer with a grace period exits 0, Completed', async () => {
    await h.rt('StopContainer', { container_id: containerId, timeout: 30 });
    const s = (await h.rt('ContainerStatus', { container_id: containerId })).status;
    expect(s.state).toBe('CONTAINER_EXITED');
    expect(s.exit_code).toBe(0);
    expect(s.reason).toBe('Completed');
    expect(BigInt(s.finished_at)).toBeGreaterThan(BigInt(s.started_at));
    expect(s.image_ref).toBe(imageRef);
  });

  it('StopPodSandbox makes the sandbox NOTREADY, and again is fine', async () => {
    await h.rt('StopPodSandbox', { pod_sandbox_id: sandboxId });
    await h.rt('StopPodSandbox', { pod_sandbox_id: sandboxId });
    const r = await h.rt('PodSandboxStatus', { pod_sandbox_id: sandboxId });
    expect(r.status.state).toBe('SANDBOX_NOTREADY');
  });

  it('RemovePodSandbox removes the sandbox and its containers, twice', async () => {
    await h.rt('RemovePodSandbox', { pod_sandbox_id: sandboxId });
    await h.rt('RemovePodSandbox', { pod_sandbox_id: sandboxId });
    expect((await h.rt('ListPodSandbox')).items).toEqual([]);
    expect((await h.rt('ListContainers')).containers).toEqual([]);
  });

  it('RemoveImage removes the image; again is fine', async () => {
    await h.img('RemoveImage', { image: { image: imageRef } });
    await h.img('RemoveImage', { image: { image: imageRef } });
    expect((await h.img('ListImages')).images).toEqual([]);
  });
});
