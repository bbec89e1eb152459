import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { stays, until } from './wait';


// A container's command is interpreted (src/workloads/command.ts): what it
// echoes is in its log, it exits with its exit code, and it sleeps for real.
describe("a container's command", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ runtime: { start_log_line: '' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
  });
  afterEach(() => h.close());

  async function run(name: string, command: string[], podAnnotations: Record<string, string> = {}) {
    const cfg = podConfig(`pod-${name}`, { logDir: join(h.dir, 'logs', name) });
    Object.assign(cfg.annotations, podAnnotations);
    const sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id;
    const cc = { ...containerConfig(name, 'busybox'), command, args: [] };
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id as string;
    await h.rt('StartContainer', { container_id: id });
    return id;
  }
  const cstatus = async (id: string) => (await h.rt('ContainerStatus', { container_id: id })).status;
  const exited = (id: string, ms?: number) =>
    until(`${id} to exit`, async () => ((await cstatus(id)).state === 'CONTAINER_EXITED' ? cstatus(id) : undefined), ms);
  const logText = (path: string) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').slice(1).join(' '));

  it('echo, then exit with the exit code: in the log and in ContainerStatus', async () => {
    const id = await run('job', ['sh', '-c', 'echo hello; echo oops >&2; exit 3']);
    const s = await exited(id);
    expect([s.exit_code, s.reason]).toEqual([3, 'Error']);
    expect(logText(s.log_path)).toEqual(['stdout F hello', 'stderr F oops']);
  });

  it('a plain echo completes with exit code 0', async () => {
    const id = await run('hello', ['echo', 'hello World']);
    const s = await exited(id);
    expect([s.exit_code, s.reason]).toEqual([0, 'Completed']);
    expect(logText(s.log_path)).toEqual(['stdout F hello World']);
  });

  it('sleep N exits after N seconds', async () => {
    const id = await run('sleeper', ['sleep', '0.5']);
    const s = await exited(id);
    expect([s.exit_code, s.reason]).toEqual([0, 'Completed']);
    // fakecri's own timestamps; its timers run on Date.now, a few ms apart.
    expect(BigInt(s.finished_at) - BigInt(s.started_at)).toBeGreaterThanOrEqual(495_000_000n);
  });

  it('top and unknown commands run until stopped', async () => {
    const a = await run('top', ['top']);
    const b = await run('server', ['/app/server', '--port', '80']);
    await stays('both to run', async () => (await cstatus(a)).state === 'CONTAINER_RUNNING' && (await cstatus(b)).state === 'CONTAINER_RUNNING', 500);
    await h.rt('StopContainer', { container_id: a, timeout: 10 });
    expect((await cstatus(a)).exit_code).toBe(0);
  });

  it('a logging loop writes until stopped, and keeps writing after ReopenContainerLog', async () => {
    const id = await run('loop', ['sh', '-c', 'while true; do echo hello World; sleep 0.05; done']);
    const path = (await cstatus(id)).log_path;
    await until('log lines', async () => (logText(path).length >= 2 ? true : undefined));
    await h.rt('ReopenContainerLog', { container_id: id });
    await until('new log lines', async () => (logText(path).length >= 2 ? true : undefined));
    await h.rt('StopContainer', { container_id: id, timeout: 0 });
    const n = logText(path).length;
    // It wrote a line every 50 ms while it ran.
    await stays('the log to stop growing', () => logText(path).length === n, 300);
    expect(new Set(logText(path))).toEqual(new Set(['stdout F hello World']));
  });

  it('a behaviour that decides the exit wins over the command', async () => {
    const id = await run('job', ['sh', '-c', 'exit 5'], { 'fakecri.io/behaviour': '{"exit_after":"200ms","exit_code":7}' });
    expect((await exited(id)).exit_code).toBe(7);
  });

  it('after a restart of fakecri, a sleeping command exits on time without logging twice', async () => {
    const id = await run('later', ['sh', '-c', 'echo once; sleep 1; exit 4']);
    const path = (await cstatus(id)).log_path;
    await until('the first line', async () => (logText(path).length === 1 ? true : undefined));
    await h.restart();
    const s = await exited(id);
    expect(BigInt(s.finished_at) - BigInt(s.started_at)).toBeGreaterThanOrEqual(995_000_000n);
    expect(s.exit_code).toBe(4);
    expect(logText(path)).toEqual(['stdout F once']);
  });

  it('ExecSync sees the hostname, resolv.conf and sysctls of the sandbox config', async () => {
    const cfg = {
      ...podConfig('files'),
      hostname: 'web-0',
      dns_config: { servers: ['10.10.10.10'], searches: ['google.com'], options: ['ndots:8'] },
    };
    cfg.linux = { ...cfg.linux, sysctls: { 'kernel.shm_rmid_forced': '1' } } as typeof cfg.linux;
    const sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id;
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: containerConfig('c', 'busybox'), sandbox_config: cfg })).container_id;
    await h.rt('StartContainer', { container_id: id });
    const exec = async (cmd: string[]) => (await h.rt('ExecSync', { container_id: id, cmd, timeout: 5 })).stdout.toString();
    expect(await exec(['hostname'])).toBe('web-0\n');
    expect(await exec(['cat', '/etc/resolv.conf'])).toBe('search google.com\nnameserver 10.10.10.10\noptions ndots:8\n');
    expect(await exec(['cat', '/proc/sys/kernel/shm_rmid_forced'])).toBe('1\n');
  });

  it('id answers from the security context', async () => {
    const cfg = podConfig('ids', { logDir: join(h.dir, 'logs', 'ids') });
    const sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id;
    const cc = {
      ...containerConfig('c', 'busybox'),
      command: ['sh', '-c', 'echo $(id -u):$(id -g)'],
      args: [],
      linux: { security_context: { run_as_user: { value: 1001 }, run_as_group: { value: 1002 }, supplemental_groups: [1234] } },
    };
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id;
    await h.rt('StartContainer', { container_id: id });
    const s = await exited(id);
    expect(logText(s.log_path)).toEqual(['stdout F 1001:1002']);
  });
});
