import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../control/client';
import { routes } from '../control/routes';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { until } from './wait';

// CheckpointContainer writes CRI-O's archive; CreateContainer from that
// archive's path restores the writable layer into a new container. Checked
// with GNU tar and through ExecSync in the restored container.

const tar = (...args: string[]) => execFileSync('tar', args, { maxBuffer: 64 * 1024 * 1024 });

describe.each(['memory', 'host'] as const)('checkpoint and restore (%s backend)', (backend) => {
  let h: Harness;
  let n = 0;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fakecri-test-'));
    const containerfs = join(dir, 'containerfs');
    mkdirSync(containerfs);
    const filesystems = backend === 'host' ? { containerfs: { backend: 'host', path: containerfs } } : {};
    h = await startHarness({ runtime: { start_log_line: '' }, filesystems }, dir);
    await h.img('PullImage', { image: { image: 'busybox' } });
  });
  afterAll(() => h.close());

  async function pod(name: string) {
    const cfg = podConfig(`${name}-${++n}`, { logDir: join(h.dir, 'logs', `${name}-${n}`) });
    const sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
    return { cfg, sandbox };
  }

  async function create(name: string, image: string, command: string[], start = true) {
    const { cfg, sandbox } = await pod(name);
    const cc = { ...containerConfig(name, image), command, args: [] };
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id as string;
    if (start) await h.rt('StartContainer', { container_id: id });
    return id;
  }

  const exec = async (id: string, cmd: string[]) => {
    const r = await h.rt('ExecSync', { container_id: id, cmd, timeout: 30 });
    return { code: r.exit_code as number, out: Buffer.from(r.stdout).toString(), err: Buffer.from(r.stderr).toString() };
  };
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'OK';
    } catch (err) {
      return (err as Error).message;
    }
  };

  const WRITE = 'mkdir -p /data && echo hi > /data/a && dd if=/dev/urandom of=/data/b bs=1k count=64 2>/dev/null && ln -s a /data/link && rm /bin/yes && chmod 0640 /data/a';

  it('writes the archive with CRI-O\'s files; a new container from it has the same files', async () => {
    // The program writes a file of its own, then sleeps.
    const id = await create('writer', 'busybox', ['sh', '-c', 'dd if=/dev/urandom of=/prog bs=1k count=16 2>/dev/null; sleep 3600']);
    await until('the program to write /prog', async () => ((await exec(id, ['stat', '-c', '%s', '/prog'])).out === '16384\n' ? true : undefined));
    const progSum = (await exec(id, ['sha256sum', '/prog'])).out;
    const w = await exec(id, ['sh', '-c', WRITE]);
    expect(w).toMatchObject({ code: 0, err: '' });
    const sum = (await exec(id, ['sha256sum', '/data/b'])).out.split(' ')[0];
    expect(sum).toMatch(/^[0-9a-f]{64}$/);

    const dir = join(h.dir, 'checkpoints');
    mkdirSync(dir, { recursive: true });
    const location = join(dir, `checkpoint-writer_default-writer-${backend}.tar`);
    await h.rt('CheckpointContainer', { container_id: id, location, timeout: 60 });
    expect(statSync(location).mode & 0o777).toBe(0o600);
    // Nothing else left beside it (the temporary file was renamed).
    expect(readdirSync(dir)).toEqual([`checkpoint-writer_default-writer-${backend}.tar`]);

    const top = tar('-tf', location).toString().split('\n').filter(Boolean);
    expect(top).toEqual(expect.arrayContaining(['config.dump', 'spec.dump', 'status.dump', 'dump.log', 'checkpoint/', 'rootfs-diff.tar', 'deleted.files']));
    const config = JSON.parse(tar('-xOf', location, 'config.dump').toString());
    expect(config).toMatchObject({ id, rootfsImageName: expect.stringContaining('busybox'), restored: false });
    expect(config.rootfsImageRef).toMatch(/^sha256:/);
    const spec = JSON.parse(tar('-xOf', location, 'spec.dump').toString());
    expect(spec.process.args).toEqual(['sh', '-c', 'dd if=/dev/urandom of=/prog bs=1k count=16 2>/dev/null; sleep 3600']);
    // containerd's status.dump: started_at in nanoseconds, written exactly.
    const started = (await h.rt('ContainerStatus', { container_id: id })).status.started_at as string;
    expect(tar('-xOf', location, 'status.dump').toString()).toContain(`"started_at": ${started},`);
    expect(spec.annotations['io.kubernetes.cri-o.ContainerID']).toBe(id);
    expect(JSON.parse(spec.annotations['io.kubernetes.cri-o.Annotations'])).toMatchObject({ 'io.kubernetes.container.hash': 'abc123' });
    expect(JSON.parse(tar('-xOf', location, 'deleted.files').toString())).toEqual(['/bin/yes']);

    // The rootfs diff, read by GNU tar: the bytes are the container's bytes.
    const diffPath = join(h.dir, `rootfs-diff-${backend}.tar`);
    writeFileSync(diffPath, tar('-xOf', location, 'rootfs-diff.tar'));
    const listing = tar('-tvf', diffPath).toString();
    expect(listing).toMatch(/^drwxr-xr-x root\/root +0 .* data\/$/m);
    expect(listing).toMatch(/^-rw-r----- root\/root +3 .* data\/a$/m);
    expect(listing).toMatch(/^-rw-r--r-- root\/root +65536 .* data\/b$/m);
    expect(listing).toMatch(/^lrwxrwxrwx root\/root +0 .* data\/link -> a$/m);
    expect(tar('-xOf', diffPath, 'data/a').toString()).toBe('hi\n');
    expect(createHash('sha256').update(tar('-xOf', diffPath, 'data/b')).digest('hex')).toBe(sum);

    // The container keeps running, as for the kubelet's forensic checkpoint.
    expect((await h.rt('ContainerStatus', { container_id: id })).status.state).toBe('CONTAINER_RUNNING');

    const restored = await create('restored', location, []);
    const st = (await h.rt('ContainerStatus', { container_id: restored })).status;
    expect(st.state).toBe('CONTAINER_RUNNING');
    expect(st.image.image).toContain('busybox');
    expect(st.annotations['io.kubernetes.container.hash']).toBe('abc123');
    expect((await exec(restored, ['sha256sum', '/data/b'])).out).toBe(`${sum}  /data/b\n`);
    expect((await exec(restored, ['cat', '/data/link'])).out).toBe('hi\n');
    expect((await exec(restored, ['stat', '-c', '%a %s', '/data/a'])).out).toBe('640 3\n');
    const yes = await exec(restored, ['ls', '/bin/yes']);
    expect(yes.code).not.toBe(0);
    // The restored program carries on where it was: it replayed its start
    // without writing (its /prog is the checkpointed one) and now sleeps.
    expect((await exec(restored, ['sha256sum', '/prog'])).out).toBe(progSum);
    expect((await exec(restored, ['ps'])).out).toContain('sleep 3600');
    // And it can itself be checkpointed: the same files again.
    const again = join(dir, `again-${backend}.tar`);
    await h.rt('CheckpointContainer', { container_id: restored, location: again });
    const diff2 = join(h.dir, `rootfs-diff2-${backend}.tar`);
    writeFileSync(diff2, tar('-xOf', again, 'rootfs-diff.tar'));
    expect(createHash('sha256').update(tar('-xOf', diff2, 'data/b')).digest('hex')).toBe(sum);
  });

  it('a large fill goes to the archive in pieces, and comes back', async () => {
    const id = await create('big', 'busybox', ['sleep', '3600']);
    expect((await exec(id, ['sh', '-c', 'dd if=/dev/zero of=/z bs=1048576 count=40 2>/dev/null && dd if=/dev/urandom of=/r bs=1048576 count=8 2>/dev/null'])).code).toBe(0);
    const sums = (await exec(id, ['sha256sum', '/z', '/r'])).out;
    const location = join(h.dir, `big-${backend}.tar`);
    await h.rt('CheckpointContainer', { container_id: id, location });
    expect(statSync(location).size).toBeGreaterThan(48 * 1024 * 1024);
    const restored = await create('big-restored', location, []);
    expect((await exec(restored, ['sha256sum', '/z', '/r'])).out).toBe(sums);
  });

  it('answers as CRI-O for a missing container, a stopped one and a bad location', async () => {
    const created = await create('idle', 'busybox', ['sleep', '3600'], false);
    const loc = join(h.dir, `x-${backend}.tar`);
    expect(await code(h.rt('CheckpointContainer', { container_id: 'nosuch', location: loc }))).toMatch(/^5 NOT_FOUND: could not find container "nosuch"/);
    expect(await code(h.rt('CheckpointContainer', { container_id: created, location: loc }))).toBe(`2 UNKNOWN: container ${created} is not running`);
    const running = await create('run', 'busybox', ['sleep', '3600']);
    expect(await code(h.rt('CheckpointContainer', { container_id: running, location: '' }))).toMatch(/^3 INVALID_ARGUMENT: location is empty/);
    expect(await code(h.rt('CheckpointContainer', { container_id: running, location: 'rel/x.tar' }))).toMatch(/^3 INVALID_ARGUMENT: location "rel\/x.tar" is not an absolute path/);
    const missing = join(h.dir, 'no', 'such', 'dir', 'x.tar');
    expect(await code(h.rt('CheckpointContainer', { container_id: running, location: missing }))).toBe(
      `2 UNKNOWN: failed to write file system changes of container ${running}: error creating checkpoint export file "${missing}": open ${missing}: no such file or directory`,
    );
    expect(existsSync(loc)).toBe(false);
    await h.rt('StopContainer', { container_id: running, timeout: 0 });
    await until('stopped', async () => ((await h.rt('ContainerStatus', { container_id: running })).status.state === 'CONTAINER_EXITED' ? true : undefined));
    expect(await code(h.rt('CheckpointContainer', { container_id: running, location: loc }))).toBe(`2 UNKNOWN: container ${running} is not running`);
  });

  it('timeout: a checkpoint that cannot finish in time is DEADLINE_EXCEEDED and leaves no file', async () => {
    // A sparse 1 TiB file: its archive cannot be written within a second.
    const id = await create('slow', 'busybox', ['sleep', '3600']);
    expect((await exec(id, ['truncate', '-s', '1024G', '/sparse'])).code).toBe(0);
    const dir = join(h.dir, `timeout-${backend}`);
    mkdirSync(dir);
    const loc = join(dir, 'slow.tar');
    expect(await code(h.rt('CheckpointContainer', { container_id: id, location: loc, timeout: 1 }))).toBe(
      `4 DEADLINE_EXCEEDED: failed to checkpoint container ${id}: context deadline exceeded (timeout 1s)`,
    );
    expect(readdirSync(dir)).toEqual([]);
    // The runtime is still answering, and the container still runs.
    expect((await h.rt('ContainerStatus', { container_id: id })).status.state).toBe('CONTAINER_RUNNING');
  });

  it('a symlink at the location is replaced, never written through', async () => {
    const id = await create('link', 'busybox', ['sleep', '3600']);
    const victim = join(h.dir, `victim-${backend}`);
    writeFileSync(victim, 'keep me');
    const loc = join(h.dir, `link-${backend}.tar`);
    symlinkSync(victim, loc);
    await h.rt('CheckpointContainer', { container_id: id, location: loc });
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(tar('-tf', loc).toString()).toContain('config.dump');
  });

  it('a restore from a file that is not a checkpoint archive fails clearly, and leaves no container', async () => {
    const bogus = join(h.dir, `bogus-${backend}.tar`);
    writeFileSync(bogus, 'not a tar archive at all'.repeat(100));
    const before = (await h.rt('ListContainers', {})).containers.length;
    expect(await code(create('bogus', bogus, []))).toMatch(/^3 INVALID_ARGUMENT: .*bogus.*not a valid tar archive/);
    const empty = join(h.dir, `empty-${backend}.tar`);
    writeFileSync(empty, Buffer.alloc(1024));
    expect(await code(create('empty', empty, []))).toMatch(/^3 INVALID_ARGUMENT: failed to read "spec.dump": checkpoint archive .* has no spec.dump/);
    expect((await h.rt('ListContainers', {})).containers.length).toBe(before);
  });
});

describe('faults and CheckpointContainer', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ runtime: { start_log_line: '' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
  });
  afterAll(() => h.close());

  it('a fault rule refuses it like any RPC, and no file is written', async () => {
    const cfg = podConfig('fault-pod');
    const sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: containerConfig('c', 'busybox'), sandbox_config: cfg })).container_id as string;
    await h.rt('StartContainer', { container_id: id });
    const api = new ControlClient({ socket: h.server.controlSocket });
    await api.call('POST', routes.faults, { rpcs: ['CheckpointContainer'], first: 1, action: { type: 'error', code: 'RESOURCE_EXHAUSTED', message: 'refused by a fault' } });
    const loc = join(h.dir, 'fault.tar');
    await expect(h.rt('CheckpointContainer', { container_id: id, location: loc })).rejects.toThrow(/RESOURCE_EXHAUSTED: refused by a fault/);
    expect(existsSync(loc)).toBe(false);
    await h.rt('CheckpointContainer', { container_id: id, location: loc });
    expect(existsSync(loc)).toBe(true);
  });
});
