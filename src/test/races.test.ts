import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { type Tmpfs, mountTmpfs, mountUnavailable } from './tmpfs';

// Races between RPCs that touch the same objects: whatever order they land
// in, the state stays consistent, and fakecri starts again from it.
describe.skipIf(Boolean(mountUnavailable))('races', () => {
  let h: Harness | undefined;
  let fs: Tmpfs | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    fs?.unmount();
    fs = undefined;
  });

  // Defect 5 of issue 13: two pulls of one image shared one layer claim but
  // each gave it back, dropping the claim of a third pull of another image
  // with the same base layer; removing the first image then deleted the base
  // layer under the third, whose record then named a missing file, and
  // fakecri refused to start.
  it('pulls and removals of images that share a layer leave a state fakecri starts from', async () => {
    fs = mountTmpfs('256m', 'race-imagefs');
    h = await startHarness({
      filesystems: { imagefs: { backend: 'host', path: fs.path } },
      images: {
        base_layer_size: '4Mi',
        pull_bandwidth: '16Mi',
        catalog: [
          { match: 'race-small:1', size: '5Mi', layers: 1 },
          { match: 'race-big:1', size: '36Mi', layers: 1 },
        ],
      },
    });
    // The small image is pulled twice at once (one fetch, two pullers), the
    // big one meanwhile: it waits for the base layer the first fetch writes,
    // then writes its own 32 MiB for about two seconds.
    const small = [h.img('PullImage', { image: { image: 'race-small:1' } }), h.img('PullImage', { image: { image: 'race-small:1' } })];
    const big = h.img('PullImage', { image: { image: 'race-big:1' } });
    const [{ image_ref: smallId }] = await Promise.all(small);
    // While the big pull still writes, the small image goes.
    await h.img('RemoveImage', { image: { image: smallId } });
    const { image_ref: bigId } = await big;
    expect((await h.img('ImageStatus', { image: { image: bigId } })).image.id).toBe(bigId);
    await h.restart();
    expect((await h.img('ListImages')).images.map((i: { id: string }) => i.id)).toEqual([bigId]);
  });

  // Defect 6 of issue 13: a CreateContainer that waited (for its writable
  // layer on the host backend) while RemovePodSandbox removed its sandbox
  // added the container afterwards, an orphan no RemovePodSandbox removes.
  it('a CreateContainer racing RemovePodSandbox of its pod leaves no orphan', async () => {
    fs = mountTmpfs('64m', 'race-containerfs');
    h = await startHarness({ filesystems: { imagefs: { backend: 'host', path: fs.path } }, images: { sizes: { busybox: '1Mi' } } });
    await h.img('PullImage', { image: { image: 'busybox' } });
    const tries = 40;
    const outcomes = await Promise.all(
      Array.from({ length: tries }, async (_, i) => {
        const pod = podConfig(`race-${i}`);
        const sandbox = (await h!.rt('RunPodSandbox', { config: pod })).pod_sandbox_id;
        const [created] = await Promise.all([
          h!.rt('CreateContainer', { pod_sandbox_id: sandbox, config: containerConfig('c', 'busybox'), sandbox_config: pod }).then(
            (r) => r.container_id as string,
            (e) => e as Error & { code: number },
          ),
          h!.rt('RemovePodSandbox', { pod_sandbox_id: sandbox }),
        ]);
        return created;
      }),
    );
    // Either the create came first (and the removal took the container with
    // the sandbox) or it failed, saying why.
    for (const o of outcomes) if (typeof o !== 'string') expect(o.message).toMatch(/pod sandbox "[0-9a-f]+" (was removed while container "c" was being created|not found)/);
    const orphans = async () => (await h!.rt('ListContainers')).containers;
    expect(await orphans()).toEqual([]);
    expect((await h.rt('ListPodSandbox')).items).toEqual([]);
    await h.restart();
    expect(await orphans()).toEqual([]);
  });
});

