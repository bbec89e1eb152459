import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../control/client';
import { routes } from '../control/routes';
import { useChildren } from './cli';
import { type Harness, containerConfig, makeClient, podConfig, startHarness } from './harness';
import { captureLog } from './log-capture';
import { until } from './wait';

// Hostile input (issue 13): each case here once crashed, froze or misled
// fakecri, or made it write where it should not. Now it gets a clear status
// naming the field, and fakecri carries on.
describe('hostile input', () => {
  const { tmp, run } = useChildren('hostile');
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const serve = (dir: string, config?: string) => {
    const args = ['serve', '--socket', join(dir, 'cri.sock'), '--state-dir', join(dir, 'state'), '--log-level', 'info'];
    if (config) {
      writeFileSync(join(dir, 'fakecri.toml'), config);
      args.push('--config', join(dir, 'fakecri.toml'));
    }
    return run(args);
  };

  async function pod(name: string, opts: { annotations?: Record<string, string>; logDir?: string; mounts?: object[]; linux?: object } = {}) {
    const cfg = podConfig(name, { logDir: opts.logDir });
    Object.assign(cfg.annotations, opts.annotations ?? {});
    if (opts.linux) Object.assign(cfg.linux, opts.linux);
    const sandbox = (await h!.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
    const create = async (c: string, extra: object = {}) =>
      (await h!.rt('CreateContainer', { pod_sandbox_id: sandbox, config: { ...containerConfig(c, 'busybox'), mounts: opts.mounts ?? [], ...extra }, sandbox_config: cfg }))
        .container_id as string;
    return { cfg, sandbox, create };
  }

  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e) => e as Error & { code: number; details: string });

  // Defect 1: a log behaviour of 1e9 lines/s of 1 KiB threw a RangeError on
  // the first tick, which took fakecri down; the container, persisted
  // running, took it down again at every restart.
  describe('defect 1: behaviours with absurd rates', () => {
    it('are refused with INVALID_ARGUMENT naming the field', async () => {
      h = await startHarness();
      await h.img('PullImage', { image: { image: 'busybox' } });
      const bad: [object, RegExp][] = [
        [{ log: { rate: 1e9, line_size: 1024 } }, /field "log.rate": .*at most 100000 lines per second/],
        [{ log: { rate: 100000, line_size: 1024 } }, /field "log.rate": rate × line_size must be at most 67108864 bytes per second/],
        [{ rootfs_write: { rate: '1Pi', total: '1Gi' } }, /field "rootfs_write.rate"/],
        [{ emptydir_write: { volume: '/v', rate: '100Gi', total: '1Gi' } }, /field "emptydir_write.rate": emptydir_write.rate must be at most/],
        [{ emptydir_write: { volume: '/v', rate: '1Mi', total: '1Gi', file: '..' } }, /field "emptydir_write.file": a file name/],
        [{ exit_after: '400d' }, /field "exit_after": must be at most 365 days/],
        [{ stop: { mode: 'delay', delay: '1e15' } }, /field "stop.delay"/],
        [{ message: 'm'.repeat(5000) }, /field "message": at most 4096 characters/],
        [{ cpu: '2000000' }, /field "cpu": at most 1024 cores/],
        [{ files: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`/f${i}`, ''])) }, /field "files": at most 1000 files/],
      ];
      for (const [behaviour, message] of bad) {
        const err = await failure(pod('b', { annotations: { 'fakecri.io/behaviour': JSON.stringify(behaviour) } }));
        expect(err?.code, JSON.stringify(behaviour)).toBe(status.INVALID_ARGUMENT);
        expect(err!.details).toMatch(/^annotation "fakecri\.io\/behaviour"/);
        expect(err!.details).toMatch(message);
      }
      const api = new ControlClient({ socket: h.server.controlSocket });
      const { create } = await pod('ok');
      const id = await create('c');
      const put = await failure(api.call('PUT', routes.containerBehaviour(id), { log: { rate: 1e9, line_size: 1024 } }));
      expect(put?.message).toMatch(/field "log.rate"/);
      expect((await h.rt('Version')).version).toBe('0.1.0');
    });

    it('one persisted by an older fakecri is ignored at restart: fakecri serves, the container runs', async () => {
      const dir = tmp();
      const sock = join(dir, 'cri.sock');
      const logDir = join(dir, 'logs');
      let child = serve(dir);
      await until('fakecri to serve', () => child.stderr().includes('fakecri serving'));
      let rt = makeClient(sock, 'RuntimeService');
      const img = makeClient(sock, 'ImageService');
      await img.call('PullImage', { image: { image: 'busybox' } });
      // Two running containers: one whose behaviour becomes absurd in the
      // state file, one that logs sanely, to see ticks happen.
      const ids: string[] = [];
      for (const name of ['bad', 'good']) {
        const cfg = podConfig(name, { logDir });
        cfg.annotations['fakecri.io/behaviour'] = JSON.stringify({ log: { rate: 20, line_size: 16, text: `${name} line` } });
        const s = (await rt.call('RunPodSandbox', { config: cfg })).pod_sandbox_id;
        const c = (await rt.call('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'busybox'), sandbox_config: cfg })).container_id;
        await rt.call('StartContainer', { container_id: c });
        ids.push(s, c);
      }
      rt.close();
      img.close();
      child.proc.kill('SIGKILL');
      await child.exited;
      const file = join(dir, 'state', 'sandboxes', `${ids[0]}.json`);
      const record = JSON.parse(readFileSync(file, 'utf8'));
      record.data.annotations['fakecri.io/behaviour'] = JSON.stringify({ log: { rate: 1e9, line_size: 1024 } });
      writeFileSync(file, JSON.stringify(record));

      child = serve(dir);
      await until('fakecri to serve again', () => child.stderr().includes('fakecri serving'));
      rt = makeClient(sock, 'RuntimeService');
      const goodLog = join(logDir, 'c', '0.log');
      const lines = () => readFileSync(goodLog, 'utf8').split('\n').filter((l) => l.includes('good line')).length;
      const before = lines();
      // Ticks have run (the good container logged again after the restart)...
      await until('the good container to log after the restart', async () => lines() > before + 2, 10_000);
      // ...and fakecri is still there, the bad container still running.
      expect(child.proc.exitCode).toBe(null);
      expect((await rt.call('ContainerStatus', { container_id: ids[1] })).status.state).toBe('CONTAINER_RUNNING');
      expect(child.stderr()).toMatch(/ignoring a bad behaviour/);
      rt.close();
    });
  });

  // Defect 12 (the runner's part; the userland's sleep is the lead's): an
  // exit_after past 2^31 ms (24.8 days) fired at once.
  it('defect 12: a behaviour that exits after 30 days does not exit now', async () => {
    h = await startHarness();
    await h.img('PullImage', { image: { image: 'busybox' } });
    const { create } = await pod('p', {
      annotations: {
        'fakecri.io/behaviour.month': JSON.stringify({ exit_after: '30d', exit_code: 3 }),
        'fakecri.io/behaviour.soon': JSON.stringify({ exit_after: '300ms', exit_code: 4 }),
      },
    });
    const month = await create('month');
    const soon = await create('soon');
    await h.rt('StartContainer', { container_id: month });
    await h.rt('StartContainer', { container_id: soon });
    const state = async (id: string) => (await h!.rt('ContainerStatus', { container_id: id })).status;
    await until('the 300ms container to exit', async () => (await state(soon)).state === 'CONTAINER_EXITED');
    expect((await state(month)).state).toBe('CONTAINER_RUNNING');
  });

  // Defect 3: a Localhost seccomp profile naming a FIFO or /dev/zero froze
  // fakecri (open blocked, or read forever). Run as a child process: a
  // freeze must not freeze the test.
  it('defect 3: a seccomp profile that is a FIFO or a device is refused at once, and fakecri answers', async () => {
    const dir = tmp();
    const sock = join(dir, 'cri.sock');
    const fifo = join(dir, 'profile.fifo');
    execFileSync('mkfifo', [fifo]);
    const child = serve(dir);
    await until('fakecri to serve', () => child.stderr().includes('fakecri serving'));
    const rt = makeClient(sock, 'RuntimeService');
    const img = makeClient(sock, 'ImageService');
    await img.call('PullImage', { image: { image: 'busybox' } });
    const cfg = podConfig('p');
    const s = (await rt.call('RunPodSandbox', { config: cfg })).pod_sandbox_id;
    for (const [i, path, what] of [
      [0, fifo, 'a FIFO'],
      [1, '/dev/zero', 'a character device'],
      [2, dir, 'a directory'],
    ] as const) {
      const config = { ...containerConfig(`c${i}`, 'busybox'), linux: { security_context: { seccomp: { profile_type: 'Localhost', localhost_ref: path } } } };
      const err = await failure(rt.call('CreateContainer', { pod_sandbox_id: s, config, sandbox_config: cfg }));
      expect(err?.message).toContain(`setup seccomp: unable to load local profile "${path}": ${path} is ${what}, not a regular file`);
    }
    expect((await rt.call('Version')).version).toBe('0.1.0');
    rt.close();
    img.close();
  });

  // Found by make fuzz (on main too): a log directory under /proc froze
  // fakecri for good. Node's mkdirSync(…, { recursive: true }) loops in the
  // kernel where mkdir answers ENOENT though the parent exists. A child
  // process: a freeze must not freeze the test.
  it('a log directory where mkdir cannot work fails StartContainer at once, and fakecri answers', async () => {
    const dir = tmp();
    const sock = join(dir, 'cri.sock');
    const child = serve(dir);
    await until('fakecri to serve', () => child.stderr().includes('fakecri serving'));
    const rt = makeClient(sock, 'RuntimeService');
    const img = makeClient(sock, 'ImageService');
    await img.call('PullImage', { image: { image: 'busybox' } });
    const cfg = podConfig('p', { logDir: '/proc/1/fakecri-logs' });
    const s = (await rt.call('RunPodSandbox', { config: cfg })).pod_sandbox_id;
    const c = (await rt.call('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'busybox'), sandbox_config: cfg })).container_id;
    const err = await failure(rt.call('StartContainer', { container_id: c }));
    expect(err?.message).toMatch(/failed to create container log file "\/proc\/1\/fakecri-logs\/c\/0\.log": mkdir \/proc\/1\/fakecri-logs: /);
    expect((await rt.call('Version')).version).toBe('0.1.0');
    rt.close();
    img.close();
  });

  // Found by make fuzz: a NUL in a script (the old interpreter's marker for
  // $(…)) looped it for ever, on microtasks: fakecri answered nothing more.
  // No process argument can hold a NUL, so it is refused.
  it('a NUL in an ExecSync command is refused, and fakecri answers', async () => {
    const dir = tmp();
    const sock = join(dir, 'cri.sock');
    const child = serve(dir);
    await until('fakecri to serve', () => child.stderr().includes('fakecri serving'));
    const rt = makeClient(sock, 'RuntimeService');
    const img = makeClient(sock, 'ImageService');
    await img.call('PullImage', { image: { image: 'busybox' } });
    const cfg = podConfig('p');
    const s = (await rt.call('RunPodSandbox', { config: cfg })).pod_sandbox_id;
    const c = (await rt.call('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'busybox'), sandbox_config: cfg })).container_id;
    await rt.call('StartContainer', { container_id: c });
    const err = await failure(rt.call('ExecSync', { container_id: c, cmd: ['sh', '-c', 'echo a\u0000b'], timeout: 5 }));
    expect(status[err!.code]).toBe('INVALID_ARGUMENT');
    expect(err!.details).toMatch(/^cmd\[2\] contains a NUL byte/);
    expect((await rt.call('Version')).version).toBe('0.1.0');
    rt.close();
    img.close();
  });

  // Defect 7: the container's log file was truncated and written through
  // symlinks: a log path that was a symlink overwrote the file it named.
  describe('defect 7: log files', () => {
    it('are never written through a symlink, never truncated, and stay in the log directory', async () => {
      const dir = tmp();
      h = await startHarness({}, join(dir, 'h'));
      await h.img('PullImage', { image: { image: 'busybox' } });
      const logDir = join(dir, 'logs');
      const victim = join(dir, 'victim.txt');
      writeFileSync(victim, 'precious\n');
      const { create } = await pod('p', { logDir });
      // The log file itself is a symlink to the victim.
      mkdirSync(join(logDir, 'a'), { recursive: true });
      symlinkSync(victim, join(logDir, 'a', '0.log'));
      const a = await create('a');
      const err = await failure(h.rt('StartContainer', { container_id: a }));
      expect(status[err!.code]).toBe('FAILED_PRECONDITION');
      expect(err!.details).toMatch(/failed to create container log file ".*\/a\/0.log": .*symbolic link/);
      // A directory on the way is a symlink out of the log directory.
      const outside = join(dir, 'outside');
      mkdirSync(outside);
      symlinkSync(outside, join(logDir, 'b'));
      const b = await create('b');
      const err2 = await failure(h.rt('StartContainer', { container_id: b }));
      expect(err2!.details).toMatch(/\/b is a symbolic link: fakecri does not follow it out of/);
      expect(readFileSync(victim, 'utf8')).toBe('precious\n');
      expect(readdirSync(outside)).toEqual([]);
      // A log already there (the kubelet did not rotate it) is appended
      // to, as containerd does, not truncated...
      const earlier = '2026-11-22T13:21:20.5Z stdout F earlier line\n';
      mkdirSync(join(logDir, 'c'));
      writeFileSync(join(logDir, 'c', '0.log'), earlier);
      const c = await create('c');
      await h.rt('StartContainer', { container_id: c });
      await h.rt('ReopenContainerLog', { container_id: c });
      const log = readFileSync(join(logDir, 'c', '0.log'), 'utf8');
      expect(log.startsWith(earlier)).toBe(true);
      expect(log.slice(earlier.length)).toMatch(/^\S+Z stdout F fakecri: container c started\n$/);
      // ...but a file that is not a CRI log is not written into at all.
      mkdirSync(join(logDir, 'd'));
      writeFileSync(join(logDir, 'd', '0.log'), 'root:x:0:0:root:/root:/bin/sh\n');
      const d = await create('d');
      const err3 = await failure(h.rt('StartContainer', { container_id: d }));
      expect(err3!.details).toMatch(/\/d\/0\.log is a file fakecri did not write; it does not write into it/);
      expect(readFileSync(join(logDir, 'd', '0.log'), 'utf8')).toBe('root:x:0:0:root:/root:/bin/sh\n');
    });

    it('a log directory that is a file gets FAILED_PRECONDITION naming the path, not a raw errno as UNKNOWN', async () => {
      const dir = tmp();
      h = await startHarness({}, join(dir, 'h'));
      await h.img('PullImage', { image: { image: 'busybox' } });
      const file = join(dir, 'not-a-dir');
      writeFileSync(file, '');
      const { create } = await pod('p', { logDir: file });
      const id = await create('c');
      const err = await failure(h.rt('StartContainer', { container_id: id }));
      expect(status[err!.code]).toBe('FAILED_PRECONDITION');
      expect(err!.details).toBe(`failed to create container log file "${file}/c/0.log": ${file} is a regular file, not a directory`);
      // A log directory with "..", or a log path climbing out, is refused up front.
      const up = await failure(pod('q', { logDir: `${dir}/x/../../etc` }));
      expect(up!.details).toMatch(/config\.log_directory .* must not contain "\.\."/);
      expect(readFileSync(file, 'utf8')).toBe('');
    });
  });

  // Defect 8: emptydir_write wrote into whatever was mounted at the volume's
  // container path, a hostPath too.
  it('defect 8: emptydir_write writes only into the pod\'s own emptyDir volumes', async () => {
    const dir = tmp();
    h = await startHarness({}, join(dir, 'h'));
    await h.img('PullImage', { image: { image: 'busybox' } });
    const emptyDir = join(dir, 'kubelet', 'pods', 'uid-p', 'volumes', 'kubernetes.io~empty-dir', 'cache');
    const hostPath = join(dir, 'host', 'data');
    const otherPod = join(dir, 'kubelet', 'pods', 'uid-other', 'volumes', 'kubernetes.io~empty-dir', 'cache');
    const linked = join(dir, 'kubelet', 'pods', 'uid-p', 'volumes', 'kubernetes.io~empty-dir', 'linked');
    for (const d of [emptyDir, hostPath, otherPod]) mkdirSync(d, { recursive: true });
    symlinkSync(hostPath, linked);
    const behaviour = { emptydir_write: { volume: '/cache', rate: '40Mi', total: '1Mi' } };
    const { create } = await pod('p', { annotations: { 'fakecri.io/behaviour': JSON.stringify(behaviour) } });
    const ids: string[] = [];
    for (const [name, host] of [['host', hostPath], ['other', otherPod], ['linked', linked], ['empty', emptyDir]] as const) {
      const id = await create(name, { mounts: [{ container_path: '/cache', host_path: host }] });
      await h.rt('StartContainer', { container_id: id });
      ids.push(id);
    }
    // The emptyDir container, started last, has written its megabyte...
    await until('the emptyDir to be written', async () => existsSync(join(emptyDir, 'fakecri.data')) && lstatSync(join(emptyDir, 'fakecri.data')).size === 2 ** 20);
    // ...and nothing went anywhere else.
    expect(readdirSync(hostPath)).toEqual([]);
    expect(readdirSync(otherPod)).toEqual([]);
    const api = new ControlClient({ socket: h.server.controlSocket });
    const err = await failure(api.call('PUT', routes.containerBehaviour(ids[0]), behaviour));
    expect(err?.message).toMatch(/field "emptydir_write.volume": the mount at "\/cache" is not an emptyDir: host path ".*\/host\/data" is not an emptyDir volume of pod uid "uid-p"/);
    const err2 = await failure(api.call('PUT', routes.containerBehaviour(ids[2]), behaviour));
    expect(err2?.message).toMatch(/leads to ".*\/host\/data", which is not that emptyDir/);
  });

  // Defect 9: with the crio personality a cgroup_parent with ".." made
  // fakecri create cgroups outside the cgroup root.
  it('defect 9: a cgroup_parent that climbs out of the cgroup root is refused', async () => {
    const dir = tmp();
    const root = join(dir, 'cgroup');
    // Two fake cgroup v1 hierarchies.
    for (const c of ['cpu', 'memory']) {
      mkdirSync(join(root, c), { recursive: true });
      writeFileSync(join(root, c, 'cgroup.procs'), '');
    }
    h = await startHarness({ personality: 'crio', crio: { cgroup_root: root } }, join(dir, 'h'));
    for (const parent of ['/../../escaped', '../..', '/kubepods/../../../escaped', 'kubepods.slice']) {
      const err = await failure(pod(`p${parent.length}`, { linux: { cgroup_parent: parent } }));
      expect(status[err!.code], parent).toBe('INVALID_ARGUMENT');
      expect(err!.details).toMatch(/^config\.linux\.cgroup_parent "/);
    }
    expect(readdirSync(dir).sort()).toEqual(['cgroup', 'h']);
    // A good parent makes its cgroups inside.
    const { sandbox } = await pod('ok', { linux: { cgroup_parent: '/kubepods/besteffort/podok' } });
    expect(existsSync(join(root, 'cpu', 'kubepods', 'besteffort', 'podok', `crio-${sandbox}`))).toBe(true);
  });

  // Defect 10: an unexpected error logged the whole request, with the pull
  // secret in it.
  it('defect 10: credentials are in no log line and no answer, even when an RPC fails unexpectedly', async () => {
    const capture = captureLog('trace');
    h = await startHarness({}, undefined, { log: capture.log });
    const auth = { username: 'alice', password: 'hunter2-secret', auth: Buffer.from('alice:hunter2-secret').toString('base64'), identity_token: 'idtok-secret', registry_token: 'regtok-secret' };
    // A fakecri bug in the pull path, as the fuzzer found one.
    h.server.app.images.pull = async () => {
      throw new TypeError('something fakecri did not expect');
    };
    const err = await failure(h.img('PullImage', { image: { image: 'busybox' }, auth }));
    const logged = capture.text();
    expect(logged).toMatch(/RPC failed unexpectedly/);
    for (const secret of ['hunter2-secret', auth.auth, 'idtok-secret', 'regtok-secret']) {
      expect(logged).not.toContain(secret);
      expect(err!.details).not.toContain(secret);
    }
    // It is logged at error with its stack, and answered as a fakecri bug.
    expect(logged).toMatch(/"level":50,.*"stack":"TypeError: something fakecri did not expect/);
    expect(status[err!.code]).toBe('UNKNOWN');
    expect(err!.details).toMatch(/^internal error \(a fakecri bug\): TypeError: something fakecri did not expect$/);
    // Nor in the recorded calls the control API serves.
    const api = new ControlClient({ socket: h.server.controlSocket });
    expect(JSON.stringify(await api.call('GET', routes.calls))).not.toMatch(/secret/);
  });

  // Defect 11: CRI-O's /config served the control API's token to anyone on
  // the CRI socket.
  it('defect 11: CRI-O\'s /config does not serve the control token', async () => {
    const token = 'control-token-1234567890';
    h = await startHarness({ personality: 'crio', crio: { cgroups: false }, control: { token } });
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath: h!.socket, path: '/config' }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toMatch(/\[control\]/);
    expect(body).toMatch(/token = "\[redacted\]"/);
    expect(body).not.toContain(token);
  });
});
