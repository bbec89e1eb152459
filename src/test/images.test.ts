import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { loadCriProto } from '../cri/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeReference } from '../images/reference';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';

describe('image references', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['registry.k8s.io/pause:3.10.1', 'registry.k8s.io/pause:3.10.1'],
    ['localhost:5000/a/b', 'localhost:5000/a/b:latest'],
    ['localhost/a', 'localhost/a:latest'],
    [`nginx@sha256:${'a'.repeat(64)}`, `docker.io/library/nginx@sha256:${'a'.repeat(64)}`],
    [`nginx:1.25@sha256:${'b'.repeat(64)}`, `docker.io/library/nginx:1.25@sha256:${'b'.repeat(64)}`],
  ])('%s → %s', (input, expected) => {
    expect(normalizeReference(input)).toBe(expected);
  });

  it.each(['', 'Nginx', 'nginx:', 'nginx@sha256:123', 'a//b', 'nginx:-bad'])('%j is refused', (input) => {
    expect(() => normalizeReference(input)).toThrow(/image/);
  });
});

describe('image identity and removal', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ images: { sizes: { 'nginx:1.25.3': '187Mi', 'docker.io/library/big*': '20Gi' } } });
  });
  afterEach(() => h.close());

  const pull = async (image: string) => (await h.img('PullImage', { image: { image } })).image_ref as string;
  const imageStatus = async (image: string) => (await h.img('ImageStatus', { image: { image } })).image;

  it('sizes come from the config, by reference or pattern, else derived deterministically', async () => {
    await pull('nginx:1.25.3');
    await pull('bigdata:1');
    await pull('redis:7');
    expect((await imageStatus('nginx:1.25.3')).size).toBe(String(187 * 2 ** 20));
    expect((await imageStatus('bigdata:1')).size).toBe(String(20 * 2 ** 30));
    const redis = Number((await imageStatus('redis:7')).size);
    expect(redis).toBeGreaterThanOrEqual(5 * 2 ** 20);
    expect(redis).toBeLessThanOrEqual(200 * 2 ** 20);
    const h2 = await startHarness();
    try {
      await h2.img('PullImage', { image: { image: 'docker.io/library/redis:7' } });
      const again = (await h2.img('ImageStatus', { image: { image: 'redis:7' } })).image;
      expect(Number(again.size)).toBe(redis);
      expect(again.id).toBe((await imageStatus('redis:7')).id);
    } finally {
      await h2.close();
    }
  });

  it('the same id everywhere, also after the container exited', async () => {
    const ref = await pull('nginx:1.25.3');
    expect((await h.img('ListImages')).images[0].id).toBe(ref);
    const s = (await h.rt('RunPodSandbox', { config: podConfig('p') })).pod_sandbox_id;
    const c = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'docker.io/library/nginx:1.25.3'), sandbox_config: podConfig('p') })).container_id;
    await h.rt('StartContainer', { container_id: c });
    await h.rt('StopContainer', { container_id: c, timeout: 0 });
    const st = (await h.rt('ContainerStatus', { container_id: c })).status;
    expect([st.image_ref, st.image_id]).toEqual([ref, ref]);
    const lc = (await h.rt('ListContainers')).containers[0];
    expect([lc.image_ref, lc.image_id]).toEqual([ref, ref]);
  });

  it('a digest reported for a tag pulls the same image; RemoveImage by digest removes all its names', async () => {
    const ref = await pull('nginx:1.25.3');
    const digest = (await imageStatus('nginx:1.25.3')).repo_digests[0];
    expect(await pull(digest)).toBe(ref);
    const img = await imageStatus(ref);
    expect(img.repo_tags).toEqual(['docker.io/library/nginx:1.25.3']);
    expect(img.repo_digests).toEqual([digest]);
    await h.img('RemoveImage', { image: { image: digest } });
    expect(await imageStatus('nginx:1.25.3')).toBeNull();
    expect((await h.img('ListImages')).images).toEqual([]);
  });

  it('RemoveImage by tag, by id, by short id; unknown images are success', async () => {
    const a = await pull('alpine:3');
    await pull('busybox:1');
    await h.img('RemoveImage', { image: { image: 'alpine:3' } });
    expect(await imageStatus(a)).toBeNull();
    const b = (await imageStatus('busybox:1')).id as string;
    expect((await imageStatus(b.slice(7, 19))).id).toBe(b);
    await h.img('RemoveImage', { image: { image: b.slice(7) } });
    expect((await h.img('ListImages')).images).toEqual([]);
    await h.img('RemoveImage', { image: { image: 'never-pulled:1' } });
  });

  it('ListImages filters by reference; the pause image is pinned', async () => {
    await pull('registry.k8s.io/pause:3.10.1');
    await pull('nginx');
    const pause = (await h.img('ListImages', { filter: { image: { image: 'registry.k8s.io/pause:3.10.1' } } })).images;
    expect(pause).toHaveLength(1);
    expect(pause[0].pinned).toBe(true);
    expect((await imageStatus('nginx:latest')).pinned).toBe(false);
  });

  it('an image held by no tag of a failed pull is not left behind', async () => {
    const err = await h.img('PullImage', { image: { image: 'nginx@sha256:zz' } }).catch((e) => e);
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect((await h.img('ListImages')).images).toEqual([]);
  });
});

describe('catalog entries describe the image config', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({
      images: {
        catalog: [
          { match: 'example.com/uid:*', user: '1002' },
          { match: 'example.com/uid-group:*', user: '1003:1003' },
          { match: 'example.com/name:*', user: 'www-data:www-data' },
          { match: 'example.com/tags:*', same_as: 'example.com/tags:1' },
        ],
      },
    });
  });
  afterEach(() => h.close());
  const pull = async (image: string) => (await h.img('PullImage', { image: { image } })).image_ref as string;
  const imageStatus = async (image: string) => (await h.img('ImageStatus', { image: { image } })).image;

  it('user: a numeric user is the uid, a name the username', async () => {
    for (const i of ['example.com/uid:1', 'example.com/uid-group:1', 'example.com/name:1', 'example.com/none:1']) await pull(i);
    expect((await imageStatus('example.com/uid:1')).uid).toEqual({ value: '1002' });
    expect((await imageStatus('example.com/uid-group:1')).uid).toEqual({ value: '1003' });
    const named = await imageStatus('example.com/name:1');
    expect([named.uid, named.username]).toEqual([null, 'www-data']);
    const none = await imageStatus('example.com/none:1');
    expect([none.uid, none.username]).toEqual([null, '']);
  });

  it('same_as: several tags of one image, one id with every tag', async () => {
    const ids = new Set([await pull('example.com/tags:1'), await pull('example.com/tags:2'), await pull('example.com/tags:3')]);
    expect(ids.size).toBe(1);
    const image = await imageStatus('example.com/tags:2');
    expect([...image.repo_tags].sort()).toEqual(['example.com/tags:1', 'example.com/tags:2', 'example.com/tags:3']);
    expect(await pull('example.com/other:1')).not.toBe([...ids][0]);
  });
});

describe('the inodes an unpacked image takes (memory backend)', () => {
  let h: Harness;
  afterEach(() => h.close());
  const inodesUsed = async () => Number((await h.img('ImageFsInfo')).image_filesystems[0].inodes_used.value);

  it('a catalog entry\'s inodes, else one per bytes_per_inode; shared layers once; RemoveImage frees them', async () => {
    h = await startHarness({
      images: {
        base_layer_size: '1Mi',
        catalog: [
          { match: 'files:*', size: '9Mi', layers: 2, inodes: 5000 },
          { match: 'plain:*', size: '3Mi', layers: 1 },
        ],
      },
    });
    const pull = (image: string) => h.img('PullImage', { image: { image } });
    await pull('files:1');
    // 5,000 over its own two layers, and the 1 MiB base layer at 32 KiB a file.
    expect(await inodesUsed()).toBe(5000 + 32);
    await pull('plain:1');
    // 3 MiB in all, the base layer's 1 MiB stored once: 2 MiB of its own.
    expect(await inodesUsed()).toBe(5000 + 32 + 64);
    await h.img('RemoveImage', { image: { image: 'files:1' } });
    expect(await inodesUsed()).toBe(32 + 64);
    await h.img('RemoveImage', { image: { image: 'plain:1' } });
    expect(await inodesUsed()).toBe(0);
  });
});

describe('images.pull_latency', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ images: { pull_latency: '200ms' } });
  });
  afterEach(() => h.close());

  it('every pull takes it; a deadline shorter than it gives DEADLINE_EXCEEDED (critest "should timeout if requested")', async () => {
    const t = Date.now();
    await h.img('PullImage', { image: { image: 'busybox' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
    expect(Date.now() - t).toBeGreaterThanOrEqual(390);
    const proto = loadCriProto();
    const Ctor = proto.runtime.v1.ImageService as unknown as grpc.ServiceClientConstructor;
    const client = new Ctor(`unix://${h.socket}`, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        (client as unknown as Record<string, Function>).PullImage({ image: { image: 'busybox' } }, { deadline: Date.now() + 20 }, (e: grpc.ServiceError | null) => resolve(e)),
      );
      expect(err?.code).toBe(status.DEADLINE_EXCEEDED);
    } finally {
      client.close();
    }
  });
});

