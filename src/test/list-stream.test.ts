import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CriStream } from '../cri/client';
import { BATCH_BYTES } from '../cri/list-stream';
import { type Harness, containerConfig, makeClient, podConfig, startHarness } from './harness';
import { cancelAfterFirstBatch } from './list-streams';

// The Stream* lists (cri-api v0.36, KEP-5825) against the unary lists, over
// the real socket: the same items, each once, in batches under 4 MiB.
const CONTAINERS = 25_000;
const PODS = 2_500;

async function collect(stream: ReturnType<CriStream>, field: string): Promise<{ items: any[]; messages: number }> {
  const items: any[] = [];
  let messages = 0;
  for await (const m of stream) {
    messages++;
    expect(m[field].length, 'a batch holds at least one item').toBeGreaterThan(0);
    items.push(...m[field]);
  }
  return { items, messages };
}

// What the kubelet puts on a container with a port (kuberuntime labels.go),
// so that the sizes are a real node's: about 700 bytes a container.
const KUBELET_ANNOTATIONS = {
  'io.kubernetes.container.terminationMessagePath': '/dev/termination-log',
  'io.kubernetes.container.terminationMessagePolicy': 'File',
  'io.kubernetes.pod.terminationGracePeriod': '30',
  'io.kubernetes.container.ports': '[{"name":"http","containerPort":8080,"protocol":"TCP"}]',
};
const uids = Array.from({ length: PODS }, () => randomUUID());
const podName = (i: number) => `web-5d8f7c9b6d-${String(i).padStart(5, '0')}`;

describe('list streams', () => {
  let h: Harness;
  let client: ReturnType<typeof makeClient>;
  let images: ReturnType<typeof makeClient>;
  let raw: ReturnType<typeof makeClient>;
  const sandboxes: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    client = makeClient(h.socket, 'RuntimeService');
    images = makeClient(h.socket, 'ImageService');
    raw = makeClient(h.socket, 'RuntimeService', { raw: true });
    await h.img('PullImage', { image: { image: 'busybox:1.36' } });
    for (let i = 0; i < PODS; i += 100) {
      const batch = Array.from({ length: Math.min(100, PODS - i) }, (_, j) =>
        h.rt('RunPodSandbox', { config: podConfig(podName(i + j), { uid: uids[i + j], labels: { group: String((i + j) % 3) } }) }).then((r) => r.pod_sandbox_id as string),
      );
      sandboxes.push(...(await Promise.all(batch)));
    }
    // Every tenth container is left created, not started.
    for (let n = 0; n < CONTAINERS; n += 250) {
      await Promise.all(
        Array.from({ length: 250 }, async (_, j) => {
          const k = n + j;
          const pod = k % PODS;
          const config = containerConfig(`c${Math.floor(k / PODS)}`, 'busybox:1.36', { podName: podName(pod), uid: uids[pod] });
          Object.assign(config.annotations, KUBELET_ANNOTATIONS);
          const { container_id } = await h.rt('CreateContainer', { pod_sandbox_id: sandboxes[pod], config, sandbox_config: podConfig(podName(pod), { uid: uids[pod] }) });
          if (k % 10 !== 0) await h.rt('StartContainer', { container_id });
        }),
      );
    }
  }, 900_000);

  afterAll(async () => {
    client?.close();
    images?.close();
    raw?.close();
    await h?.close();
  });

  it(`StreamContainers sends all ${CONTAINERS} containers once, in batches under 4 MiB, where ListContainers is too big`, async () => {
    const sizes: number[] = [];
    for await (const m of raw.stream('StreamContainers', {})) sizes.push((m as Buffer).length);
    expect(sizes.reduce((a, b) => a + b), 'the list is bigger than one message may be').toBeGreaterThan(16 * 1024 * 1024);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(BATCH_BYTES);
    const { items } = await collect(client.stream('StreamContainers', {}), 'containers');
    expect(items).toHaveLength(CONTAINERS);
    expect(new Set(items.map((c) => c.id)).size).toBe(CONTAINERS);
    await expect(h.rt('ListContainers', {})).rejects.toMatchObject({
      code: 8, // RESOURCE_EXHAUSTED
      details: expect.stringMatching(/^Sent message larger than max \(\d+ vs\. 16777216\); StreamContainers sends the same list in parts$/),
    });
  }, 300_000);

  it('StreamContainerStats sends every running container once', async () => {
    const { items } = await collect(client.stream('StreamContainerStats', {}), 'container_stats');
    expect(items).toHaveLength(CONTAINERS - CONTAINERS / 10);
    expect(new Set(items.map((s) => s.attributes.id)).size).toBe(items.length);
    expect(items[0].writable_layer.used_bytes).toBeDefined();
  }, 300_000);

  it('each stream answers its filters as its unary twin does', async () => {
    const ids = (xs: any[], pick = (x: any) => x.id) => xs.map(pick).sort();
    const pod = sandboxes[7];
    const cases: [string, string, object, string, string, (x: any) => string][] = [
      ['ListContainers', 'StreamContainers', { filter: { pod_sandbox_id: pod } }, 'containers', 'containers', (c) => c.id],
      ['ListContainers', 'StreamContainers', { filter: { state: { state: 'CONTAINER_CREATED' }, label_selector: { 'io.kubernetes.container.name': 'c3' } } }, 'containers', 'containers', (c) => c.id],
      ['ListContainers', 'StreamContainers', { filter: { id: 'no-such-container' } }, 'containers', 'containers', (c) => c.id],
      ['ListPodSandbox', 'StreamPodSandboxes', { filter: { label_selector: { group: '1' } } }, 'items', 'pod_sandboxes', (s) => s.id],
      ['ListPodSandbox', 'StreamPodSandboxes', {}, 'items', 'pod_sandboxes', (s) => s.id],
      ['ListContainerStats', 'StreamContainerStats', { filter: { pod_sandbox_id: pod } }, 'stats', 'container_stats', (s) => s.attributes.id],
      ['ListPodSandboxStats', 'StreamPodSandboxStats', { filter: { label_selector: { group: '2' } } }, 'stats', 'pod_sandbox_stats', (s) => s.attributes.id],
    ];
    for (const [unary, streamed, request, listField, streamField, pick] of cases) {
      const want = ids((await h.rt(unary, request))[listField], pick);
      const got = ids((await collect(client.stream(streamed, request), streamField)).items, pick);
      expect(got, `${streamed} ${JSON.stringify(request)}`).toEqual(want);
    }
    const wantImages = ids((await h.img('ListImages', {})).images);
    expect(wantImages.length).toBeGreaterThan(0);
    expect(ids((await collect(images.stream('StreamImages', {}), 'images')).items)).toEqual(wantImages);
    const one = (await collect(images.stream('StreamImages', { filter: { image: { image: 'busybox:1.36' } } }), 'images')).items;
    expect(one).toHaveLength(1);
  }, 300_000);

  it('a bad filter is INVALID_ARGUMENT naming the field, before anything is sent', async () => {
    await expect(collect(client.stream('StreamContainers', { filter: { state: { state: 7 } } }), 'containers')).rejects.toMatchObject({
      code: 3,
      details: expect.stringContaining('filter.state.state'),
    });
  });

  it('a client that cancels after the first batch stops the work', async () => {
    const rec = await cancelAfterFirstBatch(h, 'StreamContainers', () => raw.stream('StreamContainers', {}));
    expect(rec.code).toBe('CANCELLED');
    expect(rec.items).toBeLessThan(CONTAINERS);
  });
});
