import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useChildren } from './cli';
import { until } from './wait';
import { containerConfig, makeClient, podConfig, startHarness } from './harness';

// State is on disk before an RPC returns; a kill -9 loses nothing that was
// acknowledged; a damaged state file stops start-up by name.
describe('state that survives', () => {
  const { tmp, run } = useChildren('persist');
  const serve = (dir: string) => run(['serve', '--socket', join(dir, 'cri.sock'), '--state-dir', join(dir, 'state'), '--log-level', 'info']);

  it('after kill -9 and a restart, sandboxes, containers, images, IPs and the pod CIDR are all back', async () => {
    const dir = tmp();
    const sock = join(dir, 'cri.sock');
    let child = serve(dir);
    await until('fakecri to serve', () => child.stderr().includes('fakecri serving'));
    let rt = makeClient(sock, 'RuntimeService');
    let img = makeClient(sock, 'ImageService');
    await rt.call('UpdateRuntimeConfig', { runtime_config: { network_config: { pod_cidr: '10.77.0.0/24' } } });
    const imageRef = (await img.call('PullImage', { image: { image: 'nginx:1.25' } })).image_ref;
    const s1 = (await rt.call('RunPodSandbox', { config: podConfig('a') })).pod_sandbox_id;
    const s2 = (await rt.call('RunPodSandbox', { config: podConfig('b') })).pod_sandbox_id;
    const running = (await rt.call('CreateContainer', { pod_sandbox_id: s1, config: containerConfig('run', 'nginx:1.25'), sandbox_config: podConfig('a') })).container_id;
    await rt.call('StartContainer', { container_id: running });
    const exited = (await rt.call('CreateContainer', { pod_sandbox_id: s1, config: containerConfig('done', 'nginx:1.25'), sandbox_config: podConfig('a') })).container_id;
    await rt.call('StartContainer', { container_id: exited });
    await rt.call('StopContainer', { container_id: exited, timeout: 0 });
    await rt.call('StopPodSandbox', { pod_sandbox_id: s2 });
    const before = {
      sandboxes: (await rt.call('ListPodSandbox')).items,
      containers: (await rt.call('ListContainers')).containers,
      statuses: await Promise.all([running, exited].map(async (id) => (await rt.call('ContainerStatus', { container_id: id })).status)),
      sandboxStatus: (await rt.call('PodSandboxStatus', { pod_sandbox_id: s1 })).status,
      images: (await img.call('ListImages')).images,
    };
    rt.close();
    img.close();

    child.proc.kill('SIGKILL');
    await child.exited;
    expect(existsSync(sock)).toBe(true); // stale, left by the kill

    child = serve(dir);
    await until('fakecri to serve again', () => child.stderr().includes('fakecri serving'));
    rt = makeClient(sock, 'RuntimeService');
    img = makeClient(sock, 'ImageService');
    const after = {
      sandboxes: (await rt.call('ListPodSandbox')).items,
      containers: (await rt.call('ListContainers')).containers,
      statuses: await Promise.all([running, exited].map(async (id) => (await rt.call('ContainerStatus', { container_id: id })).status)),
      sandboxStatus: (await rt.call('PodSandboxStatus', { pod_sandbox_id: s1 })).status,
      images: (await img.call('ListImages')).images,
    };
    expect(after).toEqual(before);
    expect(after.statuses[0].state).toBe('CONTAINER_RUNNING');
    expect(after.images[0].id).toBe(imageRef);
    // The IP of a is still taken and the pod CIDR is still the kubelet's.
    const s3 = (await rt.call('RunPodSandbox', { config: podConfig('c') })).pod_sandbox_id;
    const ip3 = (await rt.call('PodSandboxStatus', { pod_sandbox_id: s3 })).status.network.ip;
    expect(ip3).toMatch(/^10\.77\.0\./);
    expect(ip3).not.toBe(before.sandboxStatus.network.ip);
    // Names are still reserved.
    const dup = await rt.call('RunPodSandbox', { config: podConfig('a') }).catch((e) => e);
    expect(dup.message).toMatch(/failed to reserve sandbox name/);
    rt.close();
    img.close();
  });

  it('a corrupt or truncated state file stops start-up with an error naming the file', async () => {
    const h = await startHarness({}, tmp());
    const s = (await h.rt('RunPodSandbox', { config: podConfig('a') })).pod_sandbox_id;
    await h.server.stop();
    const file = join(h.stateDir, 'sandboxes', `${s}.json`);
    writeFileSync(file, '{"version":1,"kind":"sandbox","data":{"id":');
    const child = serve(h.dir);
    const code = await child.exited;
    expect(code).toBe(2);
    expect(child.stderr()).toContain(`state file ${file} is corrupt or truncated`);
    // Nothing was thrown away.
    expect(readdirSync(join(h.stateDir, 'sandboxes'))).toEqual([`${s}.json`]);
  });

  it('a state file of another kind or version is refused by name', async () => {
    const dir = tmp();
    const h = await startHarness({}, dir);
    await h.img('PullImage', { image: { image: 'busybox' } });
    await h.server.stop();
    const [name] = readdirSync(join(h.stateDir, 'images'));
    writeFileSync(join(h.stateDir, 'images', name), JSON.stringify({ version: 99, kind: 'image', data: {} }));
    const child = serve(dir);
    expect(await child.exited).toBe(2);
    expect(child.stderr()).toMatch(new RegExp(`state file .*${name} is not a version 1 image record \\(version 99`));
  });

  it('an interrupted write (a leftover temp file) is not mistaken for state', async () => {
    const h = await startHarness({}, tmp());
    await h.rt('RunPodSandbox', { config: podConfig('a') });
    writeFileSync(join(h.stateDir, 'sandboxes', 'deadbeef.json.tmp'), '{"trunc');
    await h.restart();
    expect((await h.rt('ListPodSandbox')).items).toHaveLength(1);
    await h.close();
  });
});
