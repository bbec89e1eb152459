import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../control/client';
import { METRICS, routes } from '../control/routes';
import { freePort } from '../testing/registry';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';

const MiB = 2 ** 20;

// One sample of the text format: `name{k="v",...} value`, labels in any order.
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

// Prometheus /metrics on the control socket, moved by real CRI calls.
describe('/metrics', () => {
  let h: Harness;
  let api: ControlClient;
  const token = 'a-metrics-token-of-32-characters';
  beforeAll(async () => {
    h = await startHarness({
      control: { tcp_port: await freePort(), token },
      filesystems: { imagefs: { capacity: '1Gi' } },
      faults: [{ rpcs: ['ListImages'], first: 1, action: { type: 'error', code: 'UNAVAILABLE', message: 'drill' } }],
    });
    api = new ControlClient({ socket: h.server.controlSocket });
  });
  afterAll(() => h.close());
  const scrape = () => api.text(METRICS);

  it('counts CRI requests by method and code, with latency histograms', async () => {
    const before = await scrape();
    const ok0 = sample(before, 'fakecri_cri_requests_total', { method: 'Version', code: 'OK' }) ?? 0;
    for (let i = 0; i < 3; i++) await h.rt('Version');
    await h.rt('ContainerStatus', { container_id: 'nope' }).catch(() => {});
    const after = await scrape();
    expect(sample(after, 'fakecri_cri_requests_total', { method: 'Version', code: 'OK' })).toBe(ok0 + 3);
    expect(sample(after, 'fakecri_cri_requests_total', { method: 'ContainerStatus', code: 'NOT_FOUND' })).toBe(1);
    expect(sample(after, 'fakecri_cri_request_duration_seconds_count', { method: 'Version' })).toBe(ok0 + 3);
    expect(sample(after, 'fakecri_cri_request_duration_seconds_bucket', { method: 'Version', le: '+Inf' })).toBe(ok0 + 3);
    expect(after).toMatch(/^# TYPE fakecri_cri_request_duration_seconds histogram$/m);
    expect(after).toMatch(/^# TYPE fakecri_cri_requests_total counter$/m);
  });

  it('counts faults fired, by rule and action', async () => {
    const err = await h.img('ListImages').catch((e) => e);
    expect(err.details).toBe('drill');
    const [rule] = await api.call<any[]>('GET', routes.faults);
    const text = await scrape();
    expect(sample(text, 'fakecri_faults_fired_total', { rule: rule.id, action: 'error' })).toBe(1);
    expect(sample(text, 'fakecri_cri_requests_total', { method: 'ListImages', code: 'UNAVAILABLE' })).toBe(1);
  });

  it('shows objects by kind and state, and the filesystems', async () => {
    await h.img('PullImage', { image: { image: 'nginx:1.25' } });
    const s = (await h.rt('RunPodSandbox', { config: podConfig('web') })).pod_sandbox_id;
    const run = async (name: string) => {
      const id = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig(name, 'nginx:1.25'), sandbox_config: podConfig('web') })).container_id;
      await h.rt('StartContainer', { container_id: id });
      return id;
    };
    await run('a');
    const b = await run('b');
    await h.rt('StopContainer', { container_id: b, timeout: 0 });
    await api.call('POST', routes.ballast('imagefs'), { fill: '64Mi' });
    const text = await scrape();
    expect(sample(text, 'fakecri_objects', { kind: 'sandbox', state: 'ready' })).toBe(1);
    expect(sample(text, 'fakecri_objects', { kind: 'container', state: 'running' })).toBe(1);
    expect(sample(text, 'fakecri_objects', { kind: 'container', state: 'exited' })).toBe(1);
    expect(sample(text, 'fakecri_objects', { kind: 'image', state: 'unpinned' })).toBe(1);
    const fs = { filesystem: 'imagefs', backend: 'memory' };
    const used = Number((await h.img('ImageFsInfo')).image_filesystems[0].used_bytes.value);
    expect(sample(text, 'fakecri_filesystem_capacity_bytes', fs)).toBe(1024 * MiB);
    expect(sample(text, 'fakecri_filesystem_used_bytes', fs)).toBe(used);
    expect(sample(text, 'fakecri_filesystem_ballast_bytes', fs)).toBe(64 * MiB);
    expect(sample(text, 'fakecri_filesystem_available_bytes', fs)).toBe(1024 * MiB - used);
    expect(sample(text, 'fakecri_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('is served on the TCP listener behind the token, and only GET', async () => {
    const url = `http://127.0.0.1:${h.server.controlPort}`;
    expect(await new ControlClient({ url, token }).text(METRICS)).toMatch(/^fakecri_cri_requests_total\{/m);
    const denied: any = await new ControlClient({ url }).text(METRICS).catch((e) => e);
    expect(denied.status).toBe(401);
    const post: any = await api.call('POST', METRICS, {}).catch((e) => e);
    expect(post.status).toBe(405);
  });
});
