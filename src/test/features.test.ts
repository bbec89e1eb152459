import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';

// What Status says fakecri supports, and that it does: each feature flag is
// true only where the container's userland honours it.
describe('runtime features', () => {
  let h: Harness;
  let host: string;
  beforeEach(async () => {
    h = await startHarness({ runtime: { handlers: ['runc'] } });
    await h.img('PullImage', { image: { image: 'busybox' } });
    host = mkdtempSync(join(tmpdir(), 'fakecri-features-'));
  });
  afterEach(async () => {
    await h.close();
    rmSync(host, { recursive: true, force: true });
  });

  async function run(name: string, config: object, pod: { userns?: object; hostNetwork?: boolean } = {}) {
    const cfg = podConfig(`pod-${name}`, { hostNetwork: pod.hostNetwork });
    if (pod.userns) Object.assign(cfg.linux.security_context.namespace_options, { userns_options: pod.userns });
    const sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
    const cc = { ...containerConfig(name, 'busybox'), command: ['sleep', '3600'], args: [], ...config };
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id as string;
    await h.rt('StartContainer', { container_id: id });
    return id;
  }
  const sh = async (id: string, script: string) => {
    const r = await h.rt('ExecSync', { container_id: id, cmd: ['sh', '-c', script], timeout: 30 });
    return { code: r.exit_code as number, out: Buffer.from(r.stdout).toString().trim(), err: Buffer.from(r.stderr).toString().trim() };
  };

  it('Status: per handler and for the runtime, as v0.36 defines them', async () => {
    const s = await h.rt('Status', {});
    expect(s.runtime_handlers).toEqual([
      { name: '', features: { recursive_read_only_mounts: true, user_namespaces: true } },
      { name: 'runc', features: { recursive_read_only_mounts: true, user_namespaces: true } },
    ]);
    expect(s.features).toEqual({ supplemental_groups_policy: true, user_namespaces_host_network: true });
  });

  it('a recursive read-only mount refuses writes at every depth; a plain read-write one takes them', async () => {
    mkdirSync(join(host, 'sub', 'deeper'), { recursive: true });
    const id = await run('rro', {
      mounts: [
        { container_path: '/ro', host_path: host, readonly: true, recursive_read_only: true, propagation: 'PROPAGATION_PRIVATE' },
        { container_path: '/rw', host_path: join(host, 'sub') },
      ],
    });
    for (const path of ['/ro/f', '/ro/sub/f', '/ro/sub/deeper/f']) {
      const r = await sh(id, `echo x > ${path}`);
      expect(r.code, path).not.toBe(0);
      expect(r.err).toMatch(/Read-only file system/);
    }
    expect((await sh(id, 'mkdir /ro/sub/new')).err).toMatch(/Read-only file system/);
    expect(existsSync(join(host, 'f')) || existsSync(join(host, 'sub', 'f')) || existsSync(join(host, 'sub', 'new'))).toBe(false);
    // The same directory, mounted read-write elsewhere, is writable.
    expect((await sh(id, 'echo x > /rw/f && cat /ro/sub/f')).out).toBe('x');
    expect((await sh(id, 'grep " /ro " /proc/mounts')).out).toMatch(/ ro,/);
  });

  it('ContainerStatus.user is who the processes run as (supplemental_groups_policy)', async () => {
    const id = await run('user', {
      linux: { resources: {}, security_context: { run_as_user: { value: '1000' }, run_as_group: { value: '3000' }, supplemental_groups: ['4000', '5000'] } },
    });
    const user = (await h.rt('ContainerStatus', { container_id: id })).status.user.linux;
    const inside = await sh(id, 'id -u; id -g; id -G');
    const [uid, gid, groups] = inside.out.split('\n');
    expect([String(user.uid), String(user.gid)]).toEqual([uid, gid]);
    expect(user.supplemental_groups.map(String)).toEqual(groups.split(' '));
    expect(user).toEqual({ uid: '1000', gid: '3000', supplemental_groups: ['3000', '4000', '5000'] });
    // Kept across a restart.
    await h.restart();
    expect((await h.rt('ContainerStatus', { container_id: id })).status.user.linux).toEqual(user);
  });

  it("user namespaces: the pod's mappings in /proc/<pid>/uid_map and gid_map, with or without host network", async () => {
    const userns = { mode: 'POD', uids: [{ host_id: 65536, container_id: 0, length: 65536 }], gids: [{ host_id: 131072, container_id: 0, length: 65536 }] };
    const id = await run('userns', {}, { userns });
    expect((await sh(id, 'cat /proc/self/uid_map')).out).toBe('0      65536      65536');
    expect((await sh(id, 'cat /proc/1/gid_map')).out).toBe('0     131072      65536');
    // PodSandboxStatus shows the namespace the pod got.
    const [pod] = (await h.rt('ListPodSandbox', { filter: { label_selector: { 'io.kubernetes.pod.name': 'pod-userns' } } })).items;
    const options = (await h.rt('PodSandboxStatus', { pod_sandbox_id: pod.id })).status.linux.namespaces.options;
    expect(options.userns_options).toEqual(userns);
    const host = await run('userns-host', {}, { userns, hostNetwork: true });
    expect((await sh(host, 'cat /proc/self/uid_map')).out).toBe('0      65536      65536');
    // Without: the initial namespace.
    const plain = await run('plain', {});
    expect((await sh(plain, 'cat /proc/self/uid_map')).out).toBe('0          0 4294967295');
  });

  it('user namespaces: RunPodSandbox refuses mappings that cannot be', async () => {
    const bad = async (userns: object) => {
      const cfg = podConfig('bad');
      Object.assign(cfg.linux.security_context.namespace_options, { userns_options: userns });
      return h.rt('RunPodSandbox', { config: cfg }).then(
        () => 'accepted',
        (e: { details: string }) => e.details,
      );
    };
    const map = { host_id: 65536, container_id: 0, length: 65536 };
    expect(await bad({ mode: 'POD', uids: [map], gids: [] })).toMatch(/userns_options\.gids: mode POD needs at least one mapping/);
    expect(await bad({ mode: 'NODE', uids: [map], gids: [map] })).toMatch(/userns_options\.uids: mode NODE takes no mappings/);
    expect(await bad({ mode: 'CONTAINER', uids: [map], gids: [map] })).toMatch(/userns_options\.mode CONTAINER is not one of POD, NODE/);
    expect(await bad({ mode: 'POD', uids: [{ ...map, length: 0 }], gids: [map] })).toMatch(/uids\[0\]\.length must not be 0/);
    // critest: one mapping only, and it maps container id 0.
    expect(await bad({ mode: 'POD', uids: [map, { ...map, host_id: 2000 }], gids: [map] })).toMatch(/userns_options\.uids: 2 mappings, only one is supported/);
    expect(await bad({ mode: 'POD', uids: [{ ...map, container_id: 1 }], gids: [map] })).toMatch(/uids\[0\]: container id 0 must be mapped, not 1/);
    expect(await bad({ mode: 'POD', uids: [{ ...map, host_id: 4294967295 }], gids: [map] })).toMatch(/uids\[0\] goes past id 4294967295/);
    expect((await h.rt('ListPodSandbox', {})).items).toEqual([]);
  });
});
