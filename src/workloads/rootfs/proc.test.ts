import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, makeFixture, sandboxRecord } from '../../test/rootfs-fixture';
import type { ProcessInfo } from '../procs/types';
import { cpuWeight } from './cgroup';
import { type Caller, type ContainerFs, type FsErrorCode, isFill } from './types';

const root: Caller = { uid: 0, gid: 0, groups: [], pid: 1 };

function read(fs: ContainerFs, path: string): string {
  const h = fs.open(path, { read: true });
  let out = '';
  for (let c = h.read(4096); c; c = h.read(4096)) out += isFill(c) ? '\0'.repeat(c.length) : Buffer.from(c).toString();
  h.close();
  return out;
}

const errno = (f: () => unknown): FsErrorCode | 'ok' => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return (err as { code: FsErrorCode }).code;
  }
};

const field = (status: string, name: string): string => status.match(new RegExp(`^${name}:\\t(.*)$`, 'm'))?.[1] ?? '';

const proc = (pid: number, extra: Partial<ProcessInfo> = {}): ProcessInfo => ({
  pid,
  ppid: pid === 1 ? 0 : 1,
  argv: pid === 1 ? ['/bin/sh', '-c', 'sleep 10'] : ['sleep', '10'],
  uid: 0,
  gid: 0,
  startMs: Date.now(),
  state: 'sleeping',
  ...extra,
});

describe('/proc, /sys/fs/cgroup and the sandbox files', () => {
  let f: Fixture;
  beforeEach(() => {
    f = makeFixture('memory');
  });
  afterEach(() => f.cleanup());

  function withProcs(id: string, list: ProcessInfo[]): void {
    f.procs.set(id, { list: () => list, get: (pid) => list.find((p) => p.pid === pid) });
  }

  it('/proc/self is the caller; status shows containerd default capabilities for root, none for others', () => {
    f.container('c1', { seccomp: { profile: 'RuntimeDefault', spec: { defaultAction: 'SCMP_ACT_ERRNO' } } });
    withProcs('c1', [proc(1), proc(7, { uid: 1000, gid: 1000 })]);
    const fs = f.store.view('c1', root);
    expect(fs.readlink('/proc/self')).toBe('1');
    expect(f.store.view('c1', { uid: 1000, gid: 1000, groups: [], pid: 7 }).realpath('/proc/self')).toBe('/proc/7');
    const s = read(fs, '/proc/self/status');
    expect(field(s, 'Name')).toBe('sh');
    expect(field(s, 'State')).toBe('S (sleeping)');
    expect(field(s, 'PPid')).toBe('0');
    expect(field(s, 'Uid')).toBe('0\t0\t0\t0');
    expect(field(s, 'CapEff')).toBe('00000000a80425fb');
    expect(field(s, 'CapPrm')).toBe('00000000a80425fb');
    expect(field(s, 'CapBnd')).toBe('00000000a80425fb');
    expect(field(s, 'CapInh')).toBe('0000000000000000');
    expect(field(s, 'Seccomp')).toBe('2');
    expect(field(s, 'NoNewPrivs')).toBe('0');
    const other = read(fs, '/proc/7/status');
    expect(field(other, 'Uid')).toBe('1000\t1000\t1000\t1000');
    expect(field(other, 'CapEff')).toBe('0000000000000000');
    expect(field(other, 'CapBnd')).toBe('00000000a80425fb');
    expect(read(fs, '/proc/1/cmdline')).toBe('/bin/sh\0-c\0sleep 10\0');
    expect(read(fs, '/proc/7/stat')).toMatch(/^7 \(sleep\) S 1 /);
    expect(read(fs, '/proc/7/stat').trim().split(' ')).toHaveLength(52);
    expect(fs.readdir('/proc')).toEqual(expect.arrayContaining(['1', '7', 'self', 'mounts', 'meminfo']));
    expect(errno(() => fs.stat('/proc/99'))).toBe('ENOENT');
    expect(read(fs, '/proc/self/cgroup')).toBe('0::/\n');
    expect(read(fs, '/proc/meminfo')).toMatch(/^MemTotal: +\d+ kB\n/);
    expect(errno(() => fs.open('/proc/self/status', { write: true }))).toBe('EROFS');
  });

  it('capabilities follow add, drop, ALL, privileged; seccomp and no_new_privs the security context', () => {
    const status = (id: string, sc: object, seccomp: object | null = null) => {
      f.container(id, { config: { linux: { security_context: sc } }, seccomp: { profile: 'x', spec: seccomp } });
      withProcs(id, [proc(1)]);
      return read(f.store.view(id, root), '/proc/1/status');
    };
    const added = status('a', { capabilities: { add_capabilities: ['NET_ADMIN', 'SYS_TIME'], drop_capabilities: ['KILL'] }, no_new_privs: true });
    // NET_ADMIN is bit 12, SYS_TIME 25, KILL 5.
    expect(BigInt(`0x${field(added, 'CapEff')}`)).toBe((0xa80425fbn | (1n << 12n) | (1n << 25n)) & ~(1n << 5n));
    expect(field(added, 'NoNewPrivs')).toBe('1');
    expect(field(added, 'Seccomp')).toBe('0');
    const none = status('b', { capabilities: { drop_capabilities: ['ALL'], add_capabilities: ['NET_BIND_SERVICE'] } });
    expect(field(none, 'CapEff')).toBe('0000000000000400');
    expect(field(status('c', { privileged: true }, { defaultAction: 'x' }), 'CapEff')).toBe('000001ffffffffff');
    expect(field(status('d', { privileged: true }, { defaultAction: 'x' }), 'Seccomp')).toBe('0');
    expect(field(status('e', {}, { defaultAction: 'x' }), 'Seccomp_filters')).toBe('1');
  });

  it('/sys/fs/cgroup shows the limits runc writes from the CRI resources', () => {
    f.container('c1', {
      resources: { cpu_period: '100000', cpu_quota: '50000', cpu_shares: '512', memory_limit_in_bytes: '134217728', unified: { 'memory.oom.group': '1' } },
    });
    withProcs('c1', [proc(1), proc(9)]);
    const fs = f.store.view('c1', root);
    expect(read(fs, '/sys/fs/cgroup/memory.max')).toBe('134217728\n');
    expect(read(fs, '/sys/fs/cgroup/cpu.max')).toBe('50000 100000\n');
    expect(read(fs, '/sys/fs/cgroup/cpu.weight')).toBe(`${cpuWeight(512)}\n`);
    expect(cpuWeight(512)).toBe(20);
    expect(cpuWeight(2)).toBe(1);
    expect(read(fs, '/sys/fs/cgroup/memory.oom.group')).toBe('1\n');
    expect(read(fs, '/sys/fs/cgroup/cgroup.procs')).toBe('1\n9\n');
    expect(errno(() => fs.open('/sys/fs/cgroup/memory.max', { write: true }))).toBe('EROFS');
    f.container('c2');
    const unlimited = f.store.view('c2', root);
    expect(read(unlimited, '/sys/fs/cgroup/memory.max')).toBe('max\n');
    expect(read(unlimited, '/sys/fs/cgroup/cpu.max')).toBe('max 100000\n');
    // An update of the resources shows at once.
    f.containers.set('c2', { ...f.containers.get('c2')!, resources: { memory_limit_in_bytes: '1000000' } });
    expect(read(unlimited, '/sys/fs/cgroup/memory.max')).toBe('1000000\n');
  });

  it('/etc/hostname, /etc/resolv.conf as containerd writes them; sysctls in /proc/sys; a CRI mount wins', () => {
    f.sandboxes.set('sb', sandboxRecord('sb', { config: { dns_config: { servers: ['10.96.0.10', '8.8.8.8'], searches: ['ns.svc.cluster.local'], options: ['ndots:5'] }, linux: { sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.shm_rmid_forced': '1' } } } }));
    const hosts = mkdtempSync(join(tmpdir(), 'fakecri-hosts-'));
    try {
      writeFileSync(join(hosts, 'etc-hosts'), '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n');
      f.container('c1');
      f.container('c2', { mounts: [{ container_path: '/etc/hosts', host_path: join(hosts, 'etc-hosts') }] });
      const fs = f.store.view('c1', root);
      expect(read(fs, '/etc/hostname')).toBe('pod-host\n');
      expect(read(fs, '/etc/resolv.conf')).toBe('search ns.svc.cluster.local\nnameserver 10.96.0.10\nnameserver 8.8.8.8\noptions ndots:5\n');
      expect(read(fs, '/proc/sys/net/ipv4/ip_unprivileged_port_start')).toBe('0\n');
      expect(read(fs, '/proc/sys/kernel/hostname')).toBe('pod-host\n');
      expect(read(f.store.view('c2', root), '/etc/hosts')).toBe('# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n');
      // The sandbox's files are shared by its containers.
      const w = fs.open('/etc/hosts', { write: true, append: true });
      w.write(Buffer.from('10.0.0.9 extra\n'));
      w.close();
      f.container('c3');
      expect(read(f.store.view('c3', root), '/etc/hosts')).toMatch(/10\.0\.0\.9 extra\n$/);
      expect(f.store.usage('c1').inodes).toBe(1);
      // /dev/shm too.
      const shm = fs.open('/dev/shm/seg', { write: true, create: true });
      shm.write(Buffer.from('x'));
      shm.close();
      expect(read(f.store.view('c3', root), '/dev/shm/seg')).toBe('x');
    } finally {
      rmSync(hosts, { recursive: true, force: true });
    }
  });

  it('/proc/mounts lists the mounts as the kernel does; mountinfo keeps propagation', () => {
    f.container('c1', {
      mounts: [
        { container_path: '/data', host_path: tmpdir(), readonly: true, propagation: 'PROPAGATION_BIDIRECTIONAL' },
        { container_path: '/var/run/secrets/kubernetes.io/serviceaccount', host_path: tmpdir(), readonly: true },
      ],
    });
    withProcs('c1', [proc(1)]);
    const fs = f.store.view('c1', root);
    const lines = read(fs, '/proc/mounts').trim().split('\n');
    expect(lines[0]).toMatch(/^overlay \/ overlay rw,relatime,upperdir=\S+ 0 0$/);
    expect(lines).toContain('proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0');
    expect(lines).toContain('cgroup /sys/fs/cgroup cgroup2 ro,nosuid,nodev,noexec,relatime 0 0');
    expect(lines.find((l) => l.split(' ')[1] === '/data')).toMatch(/ ro,relatime 0 0$/);
    expect(lines.map((l) => l.split(' ')[1])).toEqual(expect.arrayContaining(['/dev', '/dev/shm', '/etc/hosts', '/var/run/secrets/kubernetes.io/serviceaccount']));
    expect(read(fs, '/proc/self/mountinfo')).toMatch(/ \/data ro,relatime shared:\d+ - /);
    expect(fs.mounts().find((m) => m.target === '/data')!.options).toContain('rshared');
    expect(fs.readdir('/')).toEqual(expect.arrayContaining(['bin', 'etc', 'proc', 'sys', 'dev', 'data', 'var']));
    expect(fs.readdir('/dev')).toEqual(expect.arrayContaining(['null', 'zero', 'urandom', 'shm', 'pts', 'fd', 'stdout']));
    expect(fs.statfs('/proc').type).toBe('proc');
    expect(fs.statfs('/').type).toBe('overlay');
  });
});
