import { readdirSync, rmSync, truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BASE_LAYER_DIGEST } from '../images/catalog';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { needs } from './skip';
import { type Tmpfs, mountTmpfs, mountUnavailable, statfsInodesUsed, statfsUsed } from './tmpfs';

const MiB = 2 ** 20;
const BLOCK_SLACK = 64 * 1024; // directories and block rounding

// The kubelet takes used bytes from ImageFsInfo and capacity/available from
// statfs of the reported mountpoint; these tests hold the two together on
// real tmpfs mounts.
describe('imagefs and containerfs on real tmpfs', needs(mountUnavailable), () => {
  let imagefs: Tmpfs;
  let containerfs: Tmpfs;
  let h: Harness;
  beforeAll(() => {
    imagefs = mountTmpfs('64m', 'imagefs', 4096);
    containerfs = mountTmpfs('16m', 'containerfs', 4096);
  });
  afterAll(() => {
    imagefs.unmount();
    containerfs.unmount();
  });
  afterEach(async () => {
    await h?.close();
    // Each test starts from empty mounts.
    for (const m of [imagefs, containerfs]) for (const f of readdirSync(m.path)) rmSync(join(m.path, f), { recursive: true, force: true });
  });

  const split = (extra: object = {}) => ({
    filesystems: {
      imagefs: { backend: 'host', path: imagefs.path },
      containerfs: { backend: 'host', path: containerfs.path },
    },
    images: {
      base_layer_size: '4Mi',
      // A layer is one file here, whatever its size: the unpacked test below
      // gives layers their trees.
      bytes_per_inode: '1Gi',
      catalog: [
        { match: 'app:*', size: '12Mi', layers: 2 },
        { match: 'solo:*', size: '10Mi', layers: 1, base_layer: false },
        { match: 'huge:*', size: '100Mi' },
      ],
    },
    ...extra,
  });
  const fsInfo = async () => {
    const r = await h.img('ImageFsInfo');
    return { image: r.image_filesystems[0], container: r.container_filesystems[0] };
  };
  const pull = async (image: string) => (await h.img('PullImage', { image: { image } })).image_ref as string;

  it('ImageFsInfo agrees with the bytes on disk: distinct layers stored once, statfs moves the same', async () => {
    const used0 = statfsUsed(imagefs.path);
    h = await startHarness(split());
    await pull('app:1');
    await pull('app:2');
    const a = (await h.img('ImageStatus', { image: { image: 'app:1' } })).image;
    const b = (await h.img('ImageStatus', { image: { image: 'app:2' } })).image;
    // Image.size is the sum of the image's layers, the base layer included.
    expect(Number(a.size)).toBe(12 * MiB);
    expect(Number(b.size)).toBe(12 * MiB);
    const { image, container } = await fsInfo();
    expect(image.fs_id.mountpoint).toBe(imagefs.path);
    expect(container.fs_id.mountpoint).toBe(containerfs.path);
    // 4 MiB base once + 8 MiB own for each image.
    expect(Number(image.used_bytes.value)).toBe(20 * MiB);
    expect(Number(image.inodes_used.value)).toBe(5);
    const grew = statfsUsed(imagefs.path) - used0;
    expect(grew).toBeGreaterThanOrEqual(20 * MiB);
    expect(grew - 20 * MiB).toBeLessThan(BLOCK_SLACK);
  });

  it('RemoveImage frees exactly the layers no other image uses', async () => {
    h = await startHarness(split());
    await pull('app:1');
    await pull('app:2');
    const before = statfsUsed(imagefs.path);
    await h.img('RemoveImage', { image: { image: 'app:1' } });
    const freed = before - statfsUsed(imagefs.path);
    expect(Math.abs(freed - 8 * MiB)).toBeLessThan(BLOCK_SLACK);
    expect(Number((await fsInfo()).image.used_bytes.value)).toBe(12 * MiB);
    const layerFiles = readdirSync(join(imagefs.path, 'fakecri', 'layers'));
    expect(layerFiles).toContain(BASE_LAYER_DIGEST.replace(':', '-'));
    await h.img('RemoveImage', { image: { image: 'app:2' } });
    expect(Number((await fsInfo()).image.used_bytes.value)).toBe(0);
    expect(readdirSync(join(imagefs.path, 'fakecri'))).toEqual([]);
  });

  it('pulls until full: RESOURCE_EXHAUSTED with no space left on device, nothing half-written', async () => {
    h = await startHarness(split());
    const pulled: string[] = [];
    let err: any;
    for (let i = 0; i < 20 && !err; i++) {
      await pull(`solo:${i}`).then(
        (ref) => pulled.push(ref),
        (e) => (err = e),
      );
    }
    // 64 MiB holds six 10 MiB images.
    expect(pulled).toHaveLength(6);
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/^failed to pull and unpack image "docker\.io\/library\/solo:\d+": failed to extract layer: write .*: no space left on device/);
    const used = Number((await fsInfo()).image.used_bytes.value);
    expect(used).toBe(pulled.length * 10 * MiB);
    // The failed pull left no file and no image behind.
    expect(readdirSync(join(imagefs.path, 'fakecri', 'layers'))).toHaveLength(pulled.length);
    expect((await h.img('ListImages')).images).toHaveLength(pulled.length);
    const onDisk = statfsUsed(imagefs.path);
    expect(onDisk - used).toBeLessThan(BLOCK_SLACK);
    // A pull that can never fit fails the same way.
    const huge = await pull('huge:1').catch((e) => e);
    expect(huge.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(statfsUsed(imagefs.path)).toBe(onDisk);
  });

  it('inode accounting: one inode per layer and per writable layer, as statfs sees', async () => {
    const imgInodes0 = statfsInodesUsed(imagefs.path);
    const ctrInodes0 = statfsInodesUsed(containerfs.path);
    h = await startHarness(split());
    await pull('app:1');
    const s = (await h.rt('RunPodSandbox', { config: podConfig('p') })).pod_sandbox_id;
    for (const n of ['a', 'b']) await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig(n, 'app:1'), sandbox_config: podConfig('p') });
    const { image, container } = await fsInfo();
    expect(Number(image.inodes_used.value)).toBe(3);
    expect(Number(container.inodes_used.value)).toBe(2);
    // Plus the directories fakecri made: fakecri/layers/, and
    // fakecri/containers/<id>/diff/ for each container.
    expect(statfsInodesUsed(imagefs.path) - imgInodes0 - 3).toBeLessThanOrEqual(2);
    expect(statfsInodesUsed(containerfs.path) - ctrInodes0 - 2).toBeLessThanOrEqual(2 + 2 * 2);
  });

  it('an unpacked image takes an inode per file, as statfs sees; RemoveImage answers once they are free', async () => {
    const inodes0 = statfsInodesUsed(imagefs.path);
    h = await startHarness({
      filesystems: { imagefs: { backend: 'host', path: imagefs.path } },
      images: {
        bytes_per_inode: '64Ki',
        catalog: [
          { match: 'tree:*', size: '8Mi', layers: 3, inodes: 700 },
          { match: 'dense:*', size: '4Mi', layers: 1 },
        ],
      },
    });
    await pull('tree:1');
    await pull('dense:1');
    // 700 by the catalog, over three layers; 4 MiB at 64 KiB a file: 64.
    expect(Number((await fsInfo()).image.inodes_used.value)).toBe(700 + 64);
    // Plus fakecri/ and fakecri/layers/.
    const held = statfsInodesUsed(imagefs.path) - inodes0;
    expect(held - (700 + 64)).toBeGreaterThanOrEqual(0);
    expect(held - (700 + 64)).toBeLessThanOrEqual(2);
    await h.img('RemoveImage', { image: { image: 'tree:1' } });
    expect(Number((await fsInfo()).image.inodes_used.value)).toBe(64);
    expect(statfsInodesUsed(imagefs.path) - inodes0 - 64).toBeLessThanOrEqual(2);
    // A restart finds the tree where its data file is, and keeps it.
    await h.restart();
    expect(Number((await fsInfo()).image.inodes_used.value)).toBe(64);
    expect(statfsInodesUsed(imagefs.path) - inodes0 - 64).toBeLessThanOrEqual(2);
    await h.img('RemoveImage', { image: { image: 'dense:1' } });
    // fakecri/ stays.
    expect(statfsInodesUsed(imagefs.path) - inodes0).toBe(1);
  });

  it('writable layers: bytes written show in the stats RPCs and on disk, are refused past full, and go on RemoveContainer', async () => {
    h = await startHarness(split());
    await pull('app:1');
    const s = (await h.rt('RunPodSandbox', { config: podConfig('p') })).pod_sandbox_id;
    const c = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'app:1'), sandbox_config: podConfig('p') })).container_id;
    await h.rt('StartContainer', { container_id: c });
    const disk0 = statfsUsed(containerfs.path);
    await h.server.app.containers.writeRootfs(c, 3 * MiB);
    await h.server.app.containers.writeRootfs(c, 2 * MiB);
    const stats = (await h.rt('ContainerStats', { container_id: c })).stats.writable_layer;
    expect(stats.fs_id.mountpoint).toBe(containerfs.path);
    expect(Number(stats.used_bytes.value)).toBe(5 * MiB);
    // As du --inodes counts the diff directory: itself and the file written.
    expect(Number(stats.inodes_used.value)).toBe(2);
    const listed = (await h.rt('ListContainerStats', {})).stats[0].writable_layer;
    expect(Number(listed.used_bytes.value)).toBe(5 * MiB);
    const pod = (await h.rt('PodSandboxStats', { pod_sandbox_id: s })).stats.linux.containers[0].writable_layer;
    expect(Number(pod.used_bytes.value)).toBe(5 * MiB);
    expect(Number((await fsInfo()).container.used_bytes.value)).toBe(5 * MiB);
    expect(Math.abs(statfsUsed(containerfs.path) - disk0 - 5 * MiB)).toBeLessThan(BLOCK_SLACK);
    // containerfs is 16 MiB.
    await expect(h.server.app.containers.writeRootfs(c, 20 * MiB)).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(Number((await h.rt('ContainerStats', { container_id: c })).stats.writable_layer.used_bytes.value)).toBe(5 * MiB);
    await h.rt('RemoveContainer', { container_id: c });
    expect(Number((await fsInfo()).container.used_bytes.value)).toBe(0);
    expect(statfsUsed(containerfs.path) - disk0).toBeLessThan(BLOCK_SLACK);
  });

  it('one filesystem for both: the same mountpoint in both entries, one account', async () => {
    h = await startHarness({ ...split(), filesystems: { imagefs: { backend: 'host', path: imagefs.path } } });
    await pull('solo:1');
    const s = (await h.rt('RunPodSandbox', { config: podConfig('p') })).pod_sandbox_id;
    const c = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'solo:1'), sandbox_config: podConfig('p') })).container_id;
    await h.rt('StartContainer', { container_id: c });
    await h.server.app.containers.writeRootfs(c, 2 * MiB);
    const { image, container } = await fsInfo();
    expect(container.fs_id.mountpoint).toBe(imagefs.path);
    expect(image.fs_id.mountpoint).toBe(imagefs.path);
    expect(Number(image.used_bytes.value)).toBe(12 * MiB);
    expect(Number(container.used_bytes.value)).toBe(12 * MiB);
  });

  it('ballast from the config fills to a percentage of the real capacity, and is set afresh at restart', async () => {
    h = await startHarness(split({ filesystems: { imagefs: { backend: 'host', path: imagefs.path, ballast: '75%' }, containerfs: { backend: 'host', path: containerfs.path, ballast: '2Mi' } } }));
    const cap = 64 * MiB;
    const usedPct = (statfsUsed(imagefs.path) / cap) * 100;
    expect(usedPct).toBeGreaterThanOrEqual(74.9);
    expect(usedPct).toBeLessThan(76);
    const { image, container } = await fsInfo();
    expect(Math.abs(Number(image.used_bytes.value) - 0.75 * cap)).toBeLessThan(BLOCK_SLACK);
    expect(Number(container.used_bytes.value)).toBe(2 * MiB);
    await h.restart();
    expect((statfsUsed(imagefs.path) / cap) * 100).toBeLessThan(76);
    expect(Number((await fsInfo()).container.used_bytes.value)).toBe(2 * MiB);
    h.server.app.ballast.drain('imagefs');
    expect(statfsUsed(imagefs.path)).toBeLessThan(BLOCK_SLACK);
    expect(Number((await fsInfo()).image.used_bytes.value)).toBe(0);
  });

  it('after a restart the accounts match the disk; a missing or truncated layer file stops start-up by name', async () => {
    h = await startHarness(split());
    await pull('app:1');
    const s = (await h.rt('RunPodSandbox', { config: podConfig('p') })).pod_sandbox_id;
    const c = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'app:1'), sandbox_config: podConfig('p') })).container_id;
    await h.rt('StartContainer', { container_id: c });
    await h.server.app.containers.writeRootfs(c, MiB);
    const before = await fsInfo();
    await h.restart();
    const after = await fsInfo();
    expect(after.image.used_bytes).toEqual(before.image.used_bytes);
    expect(after.container.used_bytes).toEqual(before.container.used_bytes);
    expect(Number((await h.rt('ContainerStats', { container_id: c })).stats.writable_layer.used_bytes.value)).toBe(MiB);

    const layers = join(imagefs.path, 'fakecri', 'layers');
    const [victim] = readdirSync(layers).filter((f) => !f.startsWith(BASE_LAYER_DIGEST.replace(':', '-')));
    truncateSync(join(layers, victim), 10);
    await h.server.stop();
    await expect(h.restart()).rejects.toThrow(new RegExp(`${join(layers, victim)} is truncated: 10 of \\d+ bytes`));
    unlinkSync(join(layers, victim));
    await expect(startHarness(split(), h.dir)).rejects.toThrow(new RegExp(`${join(layers, victim)} is missing`));
    // No server is left to close: only its directory.
    rmSync(h.dir, { recursive: true, force: true });
    h = undefined as unknown as Harness;
  });
});
