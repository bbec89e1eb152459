import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';

describe('List* filters', () => {
  let h: Harness;
  const sandboxes: Record<string, string> = {};
  const containers: Record<string, string> = {};

  beforeAll(async () => {
    h = await startHarness();
    await h.img('PullImage', { image: { image: 'busybox' } });
    for (const [pod, tier] of [['a', 'web'], ['b', 'web'], ['c', 'db']]) {
      const cfg = podConfig(pod, { labels: { tier } });
      sandboxes[pod] = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id;
      for (const name of ['x', 'y']) {
        const cc = containerConfig(name, 'busybox', { podName: pod, uid: `uid-${pod}` });
        const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandboxes[pod], config: { ...cc, labels: { ...cc.labels, tier } }, sandbox_config: cfg })).container_id;
        containers[`${pod}/${name}`] = id;
        if (name === 'x') await h.rt('StartContainer', { container_id: id });
      }
    }
    await h.rt('StopPodSandbox', { pod_sandbox_id: sandboxes.c });
  });
  afterAll(() => h.close());

  const sandboxIds = async (filter: object) => (await h.rt('ListPodSandbox', { filter })).items.map((s: any) => s.id).sort();
  const containerIds = async (filter: object) => (await h.rt('ListContainers', { filter })).containers.map((c: any) => c.id).sort();
  const statIds = async (filter: object) => (await h.rt('ListContainerStats', { filter })).stats.map((s: any) => s.attributes.id).sort();
  const ids = (...keys: string[]) => keys.map((k) => containers[k] ?? sandboxes[k]).sort();

  it('ListPodSandbox by id, unique prefix, state and labels', async () => {
    expect(await sandboxIds({ id: sandboxes.a })).toEqual(ids('a'));
    expect(await sandboxIds({ id: sandboxes.b.slice(0, 12) })).toEqual(ids('b'));
    expect(await sandboxIds({ id: 'zzzz' })).toEqual([]);
    expect(await sandboxIds({ state: { state: 'SANDBOX_READY' } })).toEqual(ids('a', 'b'));
    expect(await sandboxIds({ state: { state: 'SANDBOX_NOTREADY' } })).toEqual(ids('c'));
    expect(await sandboxIds({ label_selector: { tier: 'web' } })).toEqual(ids('a', 'b'));
    expect(await sandboxIds({ label_selector: { tier: 'web', 'io.kubernetes.pod.name': 'b' } })).toEqual(ids('b'));
    expect(await sandboxIds({ label_selector: { tier: 'web' }, state: { state: 'SANDBOX_NOTREADY' } })).toEqual([]);
  });

  it('ListContainers by id prefix, state, sandbox and labels (AND)', async () => {
    expect(await containerIds({ id: containers['a/x'].slice(0, 10) })).toEqual(ids('a/x'));
    expect(await containerIds({ pod_sandbox_id: sandboxes.b })).toEqual(ids('b/x', 'b/y'));
    expect(await containerIds({ pod_sandbox_id: sandboxes.b.slice(0, 8) })).toEqual(ids('b/x', 'b/y'));
    expect(await containerIds({ state: { state: 'CONTAINER_RUNNING' } })).toEqual(ids('a/x', 'b/x'));
    expect(await containerIds({ state: { state: 'CONTAINER_EXITED' } })).toEqual(ids('c/x'));
    expect(await containerIds({ state: { state: 'CONTAINER_CREATED' } })).toEqual(ids('a/y', 'b/y', 'c/y'));
    expect(await containerIds({ label_selector: { tier: 'web', 'io.kubernetes.container.name': 'y' } })).toEqual(ids('a/y', 'b/y'));
    expect(await containerIds({ id: containers['a/x'], pod_sandbox_id: sandboxes.b })).toEqual([]);
    expect(await containerIds({ pod_sandbox_id: 'nope' })).toEqual([]);
  });

  // An unfiltered list is kept whole while nothing changes: every change
  // must show in the next one, as in a filtered one.
  it('unfiltered lists follow every change', async () => {
    const h2 = await startHarness();
    try {
      await h2.img('PullImage', { image: { image: 'busybox' } });
      const states = async () => ({
        pods: (await h2.rt('ListPodSandbox', {})).items.map((s: any) => [s.id, s.state]),
        containers: (await h2.rt('ListContainers', {})).containers.map((c: any) => [c.id, c.state]),
        // A filtered list is built afresh every time: the reference.
        podsFiltered: (await h2.rt('ListPodSandbox', { filter: { label_selector: { 'io.kubernetes.pod.namespace': 'default' } } })).items.map((s: any) => [s.id, s.state]),
        containersFiltered: (await h2.rt('ListContainers', { filter: { label_selector: { 'io.kubernetes.pod.namespace': 'default' } } })).containers.map((c: any) => [c.id, c.state]),
      });
      const check = async (pods: [string, string][], ctrs: [string, string][]) => {
        const got = await states();
        expect(got.pods).toEqual(pods);
        expect(got.containers).toEqual(ctrs);
        expect(got.podsFiltered).toEqual(pods);
        expect(got.containersFiltered).toEqual(ctrs);
      };
      await check([], []);
      const cfg = podConfig('p');
      const s = (await h2.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id;
      await check([[s, 'SANDBOX_READY']], []);
      const c = (await h2.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'busybox', { podName: 'p', uid: 'uid-p' }), sandbox_config: cfg })).container_id;
      await check([[s, 'SANDBOX_READY']], [[c, 'CONTAINER_CREATED']]);
      await h2.rt('StartContainer', { container_id: c });
      await check([[s, 'SANDBOX_READY']], [[c, 'CONTAINER_RUNNING']]);
      await h2.rt('StopPodSandbox', { pod_sandbox_id: s });
      await check([[s, 'SANDBOX_NOTREADY']], [[c, 'CONTAINER_EXITED']]);
      await h2.rt('RemoveContainer', { container_id: c });
      await check([[s, 'SANDBOX_NOTREADY']], []);
      await h2.rt('RemovePodSandbox', { pod_sandbox_id: s });
      await check([], []);
    } finally {
      await h2.close();
    }
  });

  it('ListContainerStats: running containers, by id, sandbox and labels', async () => {
    expect(await statIds({})).toEqual(ids('a/x', 'b/x'));
    expect(await statIds({ pod_sandbox_id: sandboxes.a })).toEqual(ids('a/x'));
    expect(await statIds({ id: containers['b/x'] })).toEqual(ids('b/x'));
    expect(await statIds({ id: containers['b/y'] })).toEqual([]);
    expect(await statIds({ label_selector: { 'io.kubernetes.pod.name': 'b' } })).toEqual(ids('b/x'));
  });

  it('ListPodSandboxStats: by id and labels', async () => {
    const list = async (filter: object) => (await h.rt('ListPodSandboxStats', { filter })).stats.map((s: any) => s.attributes.id).sort();
    expect(await list({})).toEqual(ids('a', 'b'));
    expect(await list({ id: sandboxes.a })).toEqual(ids('a'));
    expect(await list({ label_selector: { 'io.kubernetes.pod.name': 'b' } })).toEqual(ids('b'));
  });

  it('the kubelet-visible lists agree with each other', async () => {
    const pods = new Set((await h.rt('ListPodSandbox')).items.map((s: any) => s.id));
    for (const c of (await h.rt('ListContainers')).containers) {
      expect(pods.has(c.pod_sandbox_id)).toBe(true);
      const st = (await h.rt('ContainerStatus', { container_id: c.id })).status;
      expect([st.state, st.created_at, st.image_ref]).toEqual([c.state, c.created_at, c.image_ref]);
    }
  });
});
