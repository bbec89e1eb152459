import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../control/client';
import { routes } from '../control/routes';
import { loadCriProto } from '../cri/proto';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { needs } from './skip';
import { stays, until } from './wait';
import { mountTmpfs, mountUnavailable, statfsUsed } from './tmpfs';

const MiB = 2 ** 20;

// Container behaviours, visible where a kubelet looks: ContainerStatus, the
// stats RPCs, the bytes on disk and the log file.
describe('container behaviour', () => {
  let h: Harness;
  let api: ControlClient;
  beforeEach(async () => {
    h = await startHarness({
      images: { catalog: [{ match: 'crasher:*', behaviour: { crash_loop: true, exit_after: '100ms', exit_code: 2 } }] },
    });
    api = new ControlClient({ socket: h.server.controlSocket });
    for (const i of ['busybox', 'crasher:1']) await h.img('PullImage', { image: { image: i } });
  });
  afterEach(() => h.close());

  async function runContainer(pod: string, name: string, opts: { podAnnotations?: Record<string, string>; image?: string; attempt?: number; logDir?: string; mounts?: object[] } = {}) {
    const cfg = podConfig(pod, { logDir: opts.logDir });
    Object.assign(cfg.annotations, opts.podAnnotations ?? {});
    const s = (await h.rt('ListPodSandbox', { filter: { label_selector: { 'io.kubernetes.pod.name': pod } } })).items[0]?.id ?? (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id;
    const cc = { ...containerConfig(name, opts.image ?? 'busybox', { attempt: opts.attempt }), mounts: opts.mounts ?? [] };
    const c = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: cc, sandbox_config: cfg })).container_id as string;
    await h.rt('StartContainer', { container_id: c });
    return { sandbox: s as string, id: c };
  }
  const cstatus = async (id: string) => (await h.rt('ContainerStatus', { container_id: id })).status;
  const exited = (id: string) => until(`${id} to exit`, async () => ((await cstatus(id)).state === 'CONTAINER_EXITED' ? cstatus(id) : undefined));

  it('runs until stopped by default', async () => {
    const { id } = await runContainer('p', 'c');
    await stays('the container to be running', async () => (await cstatus(id)).state === 'CONTAINER_RUNNING', 500);
  });

  it('exits after a duration with the given code, from a pod annotation for that container', async () => {
    const { id } = await runContainer('p', 'job', { podAnnotations: { 'fakecri.io/behaviour.job': JSON.stringify({ exit_after: '200ms', exit_code: 3 }) } });
    const s = await exited(id);
    // fakecri's own timestamps; its timers run on Date.now, a few ms apart.
    expect(BigInt(s.finished_at) - BigInt(s.started_at)).toBeGreaterThanOrEqual(195_000_000n);
    expect([s.exit_code, s.reason]).toEqual([3, 'Error']);
  });

  it('a crash loop from the image catalog: every attempt exits', async () => {
    for (const attempt of [0, 1, 2]) {
      const { id } = await runContainer('p', 'c', { image: 'crasher:1', attempt });
      expect((await exited(id)).exit_code).toBe(2);
    }
  });

  it('OOMKilled: exit code 137 and reason OOMKilled', async () => {
    const { id } = await runContainer('p', 'c', { podAnnotations: { 'fakecri.io/behaviour': '{"oom_after":"50ms"}' } });
    const s = await exited(id);
    expect([s.exit_code, s.reason]).toEqual([137, 'OOMKilled']);
  });

  it('a bad behaviour annotation is refused at RunPodSandbox, naming it', async () => {
    const cfg = podConfig('bad');
    cfg.annotations['fakecri.io/behaviour'] = '{"exit_after": "soon"}';
    const err = await h.rt('RunPodSandbox', { config: cfg }).catch((e) => e);
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/annotation "fakecri\.io\/behaviour" field "exit_after"/);
  });

  it('writes log lines at a rate, in CRI format, to the kubelet log path', async () => {
    const logDir = join(h.dir, 'logs');
    const { id } = await runContainer('p', 'talker', { logDir, podAnnotations: { 'fakecri.io/behaviour': JSON.stringify({ log: { rate: 50, line_size: 40, stream: 'stderr', total: 10 } }) } });
    const path = (await cstatus(id)).log_path;
    const lines = await until('10 log lines', async () => {
      const l = readFileSync(path, 'utf8').trim().split('\n');
      return l.length >= 11 ? l : undefined;
    });
    // At 50 lines a second, a 12th line would come within 20 ms.
    await stays('the log to stay at its total', () => readFileSync(path, 'utf8').trim().split('\n').length === 11, 300);
    expect(lines[1]).toMatch(/^\S+Z stderr F fakecri talker line 1 x+$/);
    expect(lines[1].split(" F ")[1]).toHaveLength(40);
  });

  it('reports CPU and memory figures in the stats RPCs', async () => {
    const { id, sandbox } = await runContainer('p', 'c', { podAnnotations: { 'fakecri.io/behaviour': '{"cpu":"500m","memory":"128Mi"}' } });
    const stats = async () => (await h.rt('ContainerStats', { container_id: id })).stats;
    const st = await until('100 ms of CPU time', async () => {
      const s = await stats();
      return Number(s.cpu.usage_core_nano_seconds.value) >= 0.1e9 ? s : undefined;
    });
    expect(st.cpu.usage_nano_cores.value).toBe('500000000');
    expect(st.memory.working_set_bytes.value).toBe(String(128 * MiB));
    // CPU time is the rate times the time running, from the container's start.
    const ranNs = BigInt(st.cpu.timestamp) - BigInt((await cstatus(id)).started_at);
    expect(Number(st.cpu.usage_core_nano_seconds.value) / Number(ranNs)).toBeCloseTo(0.5, 1);
    const pod = (await h.rt('PodSandboxStats', { pod_sandbox_id: sandbox })).stats.linux;
    expect(pod.memory.working_set_bytes.value).toBe(String(128 * MiB));
  });

  it('grows the writable layer at a rate up to a total', async () => {
    const { id } = await runContainer('p', 'c', { podAnnotations: { 'fakecri.io/behaviour': JSON.stringify({ rootfs_write: { rate: '20Mi', total: '4Mi' } }) } });
    const used = async () => Number((await h.rt('ContainerStats', { container_id: id })).stats.writable_layer.used_bytes.value);
    await until('4 MiB written', async () => (await used()) === 4 * MiB);
    // At 20 MiB a second, more would show within a tick (100 ms).
    await stays('the layer to stay at its total', async () => (await used()) === 4 * MiB, 300);
  });

  it('writes real files into an emptyDir mount', async () => {
    const vol = join(h.dir, 'pods', 'uid', 'volumes', 'kubernetes.io~empty-dir', 'cache');
    mkdirSync(vol, { recursive: true });
    const { id } = await runContainer('p', 'c', {
      mounts: [{ container_path: '/cache', host_path: vol }],
      podAnnotations: { 'fakecri.io/behaviour': JSON.stringify({ emptydir_write: { volume: '/cache', rate: '40Mi', total: '3Mi' } }) },
    });
    const file = join(vol, 'fakecri.data');
    await until('3 MiB in the emptyDir', async () => {
      try {
        return statSync(file).size === 3 * MiB;
      } catch {
        return false;
      }
    });
    expect(statSync(file).blocks * 512).toBeGreaterThanOrEqual(3 * MiB);
    // ExecSync sees the file through the mount.
    const r = await h.rt('ExecSync', { container_id: id, cmd: ['ls', '/cache'], timeout: 5 });
    expect(Buffer.from(r.stdout).toString()).toBe('fakecri.data\n');
  });

  // The exit code tells which way the stop went (a kill at the timeout is
  // 137), so only the lower bound of the time is checked: load can only add.
  it.each([
    ['delay within the timeout: exits with its code after the delay', { mode: 'delay', delay: '300ms', exit_code: 0 }, 5, 300, 0],
    ['delay past the timeout: killed at the timeout', { mode: 'delay', delay: '30s' }, 1, 1000, 137],
    ['ignore: killed at the timeout', { mode: 'ignore' }, 1, 1000, 137],
    ['exit: at once', { mode: 'exit', exit_code: 143 }, 30, 0, 143],
  ])('StopContainer, stop %s', async (_what, stop, timeout, minMs, code) => {
    const { id } = await runContainer('p', 'c', { podAnnotations: { 'fakecri.io/behaviour': JSON.stringify({ stop }) } });
    const t = Date.now();
    await h.rt('StopContainer', { container_id: id, timeout });
    expect(Date.now() - t).toBeGreaterThanOrEqual(minMs - 5);
    expect((await cstatus(id)).exit_code).toBe(code);
  });

  it('control API: exit with a reason, and a behaviour set at run time', async () => {
    const a = await runContainer('p', 'a');
    await api.call('POST', routes.containerExit(a.id), { code: 137, reason: 'OOMKilled' });
    expect(await cstatus(a.id)).toMatchObject({ exit_code: 137, reason: 'OOMKilled', state: 'CONTAINER_EXITED' });
    const b = await runContainer('p', 'b');
    await api.call('PUT', routes.containerBehaviour(b.id), { exit_after: '100ms', exit_code: 9 });
    expect((await exited(b.id)).exit_code).toBe(9);
  });

  it('ExecSync: built-ins, unknown commands, timeouts and scripted answers', async () => {
    const { id } = await runContainer('p', 'c', { podAnnotations: { 'fakecri.io/behaviour': JSON.stringify({ files: { '/tmp/ready': 'yes\n' } }) } });
    const exec = async (cmd: string[], timeout = 5) => {
      const r = await h.rt('ExecSync', { container_id: id, cmd, timeout });
      return [r.exit_code, Buffer.from(r.stdout).toString(), Buffer.from(r.stderr).toString()];
    };
    expect(await exec(['cat', '/tmp/ready'])).toEqual([0, 'yes\n', '']);
    expect(await exec(['sh', '-c', 'test -f /tmp/ready && echo ok'])).toEqual([0, 'ok\n', '']);
    expect(await exec(['wget', '-q', 'x'])).toEqual([127, '', 'sh: wget: command not found\n']);
    const t = Date.now();
    const err = await h.rt('ExecSync', { container_id: id, cmd: ['sleep', '30'], timeout: 1 }).catch((e) => e);
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(err.details).toMatch(/timeout 1s exceeded/);
    expect(Date.now() - t).toBeLessThan(20_000);
    // A readiness probe that fails from second 0.3 of the container's life on.
    await api.call('POST', routes.containerExecScripts(id), { from_seconds: 0.3, command: 'cat /tmp/ready', exit_code: 1, stderr: 'not ready' });
    await until('the scripted answer', async () => (await exec(['cat', '/tmp/ready']))[0] === 1);
    expect(await exec(['cat', '/tmp/ready'])).toEqual([1, '', 'not ready']);
    expect(await exec(['true'])).toEqual([0, '', '']);
  });

  it('GetContainerEvents streams created, started, stopped and deleted with statuses', async () => {
    const Ctor = loadCriProto().runtime.v1.RuntimeService as unknown as grpc.ServiceClientConstructor;
    const client = new Ctor(`unix://${h.socket}`, grpc.credentials.createInsecure()) as any;
    const events: any[] = [];
    const stream = client.GetContainerEvents({});
    stream.on('data', (e: any) => events.push(e));
    stream.on('error', () => {});
    // fakecri sends the headers once the stream is subscribed.
    await new Promise((resolve) => stream.once('metadata', resolve));
    const { id, sandbox } = await runContainer('ev', 'c');
    await h.rt('StopContainer', { container_id: id, timeout: 0 });
    await h.rt('RemoveContainer', { container_id: id });
    await until('four events', async () => events.length >= 4);
    stream.cancel();
    client.close();
    expect(events.map((e) => e.container_event_type)).toEqual(['CONTAINER_CREATED_EVENT', 'CONTAINER_STARTED_EVENT', 'CONTAINER_STOPPED_EVENT', 'CONTAINER_DELETED_EVENT']);
    expect(events.every((e) => e.container_id === id && e.pod_sandbox_status.id === sandbox)).toBe(true);
    expect(events[1].containers_statuses[0]).toMatchObject({ id, state: 'CONTAINER_RUNNING' });
    expect(events[2].containers_statuses[0]).toMatchObject({ state: 'CONTAINER_EXITED', exit_code: 137 });
  });

  it('behaviours carry on after a restart, counted from the start', async () => {
    const { id } = await runContainer('p', 'c', { podAnnotations: { 'fakecri.io/behaviour': '{"exit_after":"2s","exit_code":4}' } });
    await h.restart();
    const s = await exited(id);
    expect(s.exit_code).toBe(4);
    expect(BigInt(s.finished_at) - BigInt(s.started_at)).toBeGreaterThanOrEqual(1_995_000_000n);
  });
});

describe('writable-layer writes on a real full containerfs', needs(mountUnavailable), () => {
  // 2 MiB a second in 100 ms ticks: a write that fails leaves the 8 MiB
  // filesystem nearly full unless a tick came a second late.
  it.each([
    ['stop', 'CONTAINER_RUNNING', 0],
    ['crash', 'CONTAINER_EXITED', 1],
  ])('on ENOSPC: %s', async (onEnospc, state, code) => {
    const fs = mountTmpfs('8m', 'ctrfs');
    const h = await startHarness({ filesystems: { containerfs: { backend: 'host', path: fs.path } } });
    try {
      await h.img('PullImage', { image: { image: 'busybox' } });
      const cfg = podConfig('p');
      cfg.annotations['fakecri.io/behaviour'] = JSON.stringify({ rootfs_write: { rate: '2Mi', total: '1Gi', on_enospc: onEnospc } });
      const s = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id;
      const c = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'busybox'), sandbox_config: cfg })).container_id;
      await h.rt('StartContainer', { container_id: c });
      const used = async () => Number((await h.img('ImageFsInfo')).container_filesystems[0].used_bytes.value);
      // Full, with no write in flight: the disk shows what fakecri counts.
      const st = await until('containerfs to fill', async () => {
        const s = (await h.rt('ContainerStatus', { container_id: c })).status;
        const u = await used();
        return s.state === state && u > 6 * MiB && Math.abs(statfsUsed(fs.path) - u) < 64 * 1024 ? s : undefined;
      });
      if (code) expect([st.exit_code, st.message]).toEqual([code, 'write /: no space left on device']);
      else await stays('the container to keep running', async () => (await h.rt('ContainerStatus', { container_id: c })).status.state === state, 500);
      expect(await used()).toBeLessThanOrEqual(8 * MiB);
    } finally {
      await h.close();
      fs.unmount();
    }
  });
});

