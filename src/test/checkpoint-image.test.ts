import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_ANNOTATION } from '../oci/image-source';
import { RegistryClient } from '../oci/registry-client';
import { type Registry, pushImage, registryMissing, startRegistry } from '../testing/registry';
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

  it('a new container of the image has the checkpointed files; removing the image drops its archive', async () => {
    const id = await create('busybox', ['sh', '-c', 'mkdir /data && echo hi > /data/a && dd if=/dev/urandom of=/data/b bs=1k count=64 2>/dev/null && touch /done; sleep 3600']);
    // Once dd is done: /data/b is there from its first block on.
    await until('the program to write its files', async () => ((await h.rt('ExecSync', { container_id: id, cmd: ['test', '-f', '/done'], timeout: 30 })).exit_code === 0 ? true : undefined));
    const want = await sums(id);
    const location = join(h.dir, 'writer.tar');
    await h.rt('CheckpointContainer', { container_id: id, location, timeout: 60 });
    const ref = `${reg.host}/checkpoints/writer:1`;
    await pushImage(push, ref, [gzipSync(readFileSync(location))], { annotations: { [CHECKPOINT_ANNOTATION]: 'writer' } });

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
    await pushImage(push, ref, [Buffer.from('one'), Buffer.from('two')], { annotations: { [CHECKPOINT_ANNOTATION]: 'x' }, layerMediaType: 'application/vnd.oci.image.layer.v1.tar' });
    await expect(h.img('PullImage', { image: { image: ref } })).rejects.toMatchObject({ code: 3, details: expect.stringContaining('checkpoint image has 2 layers') });
  });
});
