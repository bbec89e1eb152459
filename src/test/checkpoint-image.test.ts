import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../images/reference';
import { CHECKPOINT_ANNOTATION } from '../oci/image-source';
import { OCI_IMAGE_CONFIG, OCI_MANIFEST } from '../oci/media-types';
import { nodePlatform } from '../oci/platform';
import { RegistryClient } from '../oci/registry-client';
import { type Registry, registryMissing, startRegistry } from '../testing/registry';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { needs } from './skip';
import { until } from './wait';

// A checkpoint archive made into an OCI image, as CRI-O's users do with
// buildah (the archive's files as its one layer, CRI-O's checkpoint
// annotation), pushed to Debian's docker-registry, pulled, and given to
// CreateContainer as its image: the container starts with the files the
// checkpointed one had.
describe('restore from a checkpoint image pulled from a real registry', needs(registryMissing()), () => {
  let reg: Registry;
  let push: RegistryClient;
  let h: Harness;
  let n = 0;
  beforeAll(async () => {
    reg = await startRegistry();
    push = new RegistryClient({ insecure: [reg.host] });
    h = await startHarness({ runtime: { start_log_line: '' }, registries: { pull_from: [reg.host], insecure: [reg.host] } });
    await h.img('PullImage', { image: { image: 'busybox' } });
  });
  afterAll(async () => {
    await h?.close();
    await push?.close();
    await reg?.stop();
  });

  async function create(image: string, command: string[]) {
    const cfg = podConfig(`p${++n}`);
    const sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: { ...containerConfig('writer', image), command, args: [] }, sandbox_config: cfg })).container_id as string;
    await h.rt('StartContainer', { container_id: id });
    return id;
  }
  const sums = async (id: string) => Buffer.from((await h.rt('ExecSync', { container_id: id, cmd: ['sha256sum', '/data/a', '/data/b'], timeout: 30 })).stdout).toString();

  async function pushImage(name: string, layer: Buffer, annotations: Record<string, string>): Promise<string> {
    const ref = `${reg.host}/checkpoints/${name}:1`;
    const r = parseReference(ref);
    const config = Buffer.from(JSON.stringify({ architecture: nodePlatform().architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_IMAGE_CONFIG, digest: await push.pushBlob(r, config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await push.pushBlob(r, layer), size: layer.length }],
      annotations,
    };
    await push.putManifest(r, r.tag!, Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST);
    return ref;
  }

  it('a new container of the image has the checkpointed files; removing the image drops its archive', async () => {
    const id = await create('busybox', ['sh', '-c', 'mkdir /data && echo hi > /data/a && dd if=/dev/urandom of=/data/b bs=1k count=64 2>/dev/null; sleep 3600']);
    const want = await until('the program to write its files', async () => {
      const s = await sums(id);
      return s.split('\n').filter(Boolean).length === 2 ? s : undefined;
    });
    const location = join(h.dir, 'writer.tar');
    await h.rt('CheckpointContainer', { container_id: id, location, timeout: 60 });
    const ref = await pushImage('writer', gzipSync(readFileSync(location)), { [CHECKPOINT_ANNOTATION]: 'writer' });

    const pulled = await h.img('PullImage', { image: { image: ref } });
    const restored = await create(ref, []);
    expect(await sums(restored)).toBe(want);
    expect((await h.rt('ContainerStatus', { container_id: restored })).status.image.image).toBe('docker.io/library/busybox:latest');

    // The archive is kept in the state directory while the image is.
    const record = h.server.app.images.find(pulled.image_ref)!;
    expect(record.checkpointArchive).toMatch(new RegExp(`^${h.stateDir}/checkpoint-images/`));
    expect(readFileSync(record.checkpointArchive!).equals(readFileSync(location))).toBe(true);
    await h.img('RemoveImage', { image: { image: ref } });
    expect(() => readFileSync(record.checkpointArchive!)).toThrow(/ENOENT/);
  });

  it('a checkpoint image of more than one layer is refused at PullImage', async () => {
    const ref = `${reg.host}/checkpoints/two:1`;
    const r = parseReference(ref);
    const config = Buffer.from(JSON.stringify({ architecture: nodePlatform().architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const layer = (s: string) => Buffer.from(s);
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_IMAGE_CONFIG, digest: await push.pushBlob(r, config), size: config.length },
      layers: await Promise.all(['one', 'two'].map(async (s) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: await push.pushBlob(r, layer(s)), size: 3 }))),
      annotations: { [CHECKPOINT_ANNOTATION]: 'x' },
    };
    await push.putManifest(r, r.tag!, Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST);
    await expect(h.img('PullImage', { image: { image: ref } })).rejects.toMatchObject({ code: 3, details: expect.stringContaining('checkpoint image has 2 layers') });
  });
});
