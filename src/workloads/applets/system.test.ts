import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { until } from '../../test/wait';
import { Collector } from '../procs/streams';
import type { Process } from '../procs/types';
import { applets } from './index';
import { memoryContainer } from './test-context';

const setup = () => memoryContainer(applets);
const root = { uid: 0, gid: 0, groups: [] };
const user = { uid: 1000, gid: 1000, groups: [] };

describe('id, whoami, hostname, uname, nproc, date', () => {
  it('names users and groups from /etc/passwd and /etc/group', async () => {
    const { container: c } = setup();
    expect((await c.exec(['id'])).stdout).toBe('uid=0(root) gid=0(root) groups=0(root)\n');
    expect((await c.exec(['id', '-u'])).stdout).toBe('0\n');
    expect((await c.exec(['id', '-un'])).stdout).toBe('root\n');
    expect((await c.exec(['id'], { identity: { uid: 65534, gid: 65534, groups: [1234] } })).stdout).toBe(
      'uid=65534(nobody) gid=65534(nobody) groups=65534(nobody),1234\n',
    );
    expect((await c.exec(['id', 'nobody'])).stdout).toBe('uid=65534(nobody) gid=65534(nobody) groups=65534(nobody)\n');
    expect(await c.exec(['id', 'bob'])).toMatchObject({ status: 1, stderr: 'id: unknown user bob\n' });
    expect((await c.exec(['whoami'])).stdout).toBe('root\n');
    expect(await c.exec(['whoami', 'extra'])).toMatchObject({ status: 1, stdout: '' });
    // No utmp in a container: no one logged on (busybox 1.35's output).
    expect(await c.exec(['who'])).toMatchObject({ status: 0, stdout: '' });
    expect(await c.exec(['who', '-H'])).toMatchObject({ status: 0, stdout: 'USER\t\tTTY\t\tIDLE\tTIME\t\t HOST\n' });
    expect(await c.exec(['w'])).toMatchObject({ status: 0, stdout: 'USER\t\tTTY\t\tIDLE\tTIME\t\t HOST\n' });
    expect(await c.exec(['users'])).toMatchObject({ status: 0, stdout: '\n' });
    expect(await c.exec(['w', '-h'])).toMatchObject({ status: 1, stderr: expect.stringContaining("w: invalid option -- 'h'") });
    expect(await c.exec(['whoami'], { identity: user })).toMatchObject({ status: 1, stderr: 'whoami: unknown uid 1000\n' });
  });

  it('tells the host', async () => {
    const { container: c } = setup();
    expect((await c.exec(['hostname'])).stdout).toBe('test-pod\n');
    expect((await c.exec(['hostname', '-i'])).stdout).toBe('10.244.0.5\n');
    expect(await c.exec(['hostname', 'other'])).toMatchObject({ status: 1, stderr: 'hostname: sethostname: Operation not permitted\n' });
    expect((await c.exec(['uname'])).stdout).toBe('Linux\n');
    expect((await c.exec(['uname', '-m', '-r'])).stdout).toBe('6.1.0-fakecri x86_64\n');
    expect((await c.exec(['uname', '-a'])).stdout).toBe('Linux test-pod 6.1.0-fakecri #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\n');
    expect((await c.exec(['nproc'])).stdout).toBe('2\n');
  });

  it('date formats the clock, parses -d, and says UTC', async () => {
    const { container: c } = setup();
    expect((await c.exec(['date', '-u', '-d', '@0'])).stdout).toBe('Thu Jan  1 00:00:00 UTC 1970\n');
    expect((await c.exec(['date', '-d', '2021-03-04 05:06:07', '+%Y/%m/%d %H-%M-%S %j %s'])).stdout).toBe('2021/03/04 05-06-07 063 1614834367\n');
    expect((await c.exec(['date', '-d', '@86400', '-I'])).stdout).toBe('1970-01-02\n');
    expect((await c.exec(['date', '-d', '@86400', '-Iseconds'])).stdout).toBe('1970-01-02T00:00:00+00:00\n');
    expect((await c.exec(['date', '-d', '@86400', '-R'])).stdout).toBe('Fri, 02 Jan 1970 00:00:00 +0000\n');
    // No FEATURE_DATE_NANO in busybox's default build: %N stays %N, -Ins
    // has 0 ns. glibc's width and # flag.
    expect((await c.exec(['date', '-d', '@86400', '+%s%N'])).stdout).toBe('86400%N\n');
    expect((await c.exec(['date', '-d', '@86400', '-Ins'])).stdout).toBe('1970-01-02T00:00:00,000000000+00:00\n');
    expect((await c.exec(['date', '-u', '-d', '@0', '+%10Y %#b %#a %^b'])).stdout).toBe('0000001970 JAN THU JAN\n');
    // -D: -d's string read by that strptime format (busybox 1.35 on glibc).
    const D = async (fmt: string, s: string, out: string) => (await c.exec(['date', '-u', '-D', fmt, '-d', s, out])).stdout;
    expect(await D('%s', '100', '+%F %T')).toBe('1970-01-01 00:01:40\n');
    expect(await D('%d/%m/%Y %H:%M', '02/01/2024 13:14', '+%F %T')).toBe('2024-01-02 13:14:00\n');
    expect(await D('%b %d %Y', 'Mar 05 2023', '+%F')).toBe('2023-03-05\n');
    expect(await D('%y%m%d', '690102', '+%F')).toBe('1969-01-02\n');
    expect(await D('%Y %m %e', '1999  7 4', '+%F')).toBe('1999-07-04\n');
    expect(await c.exec(['date', '-D', '%m', '-d', '13'])).toMatchObject({ status: 1, stderr: "date: invalid date '13'\n" });
    expect(await c.exec(['date', '-d', 'nonsense'])).toMatchObject({ status: 1, stderr: "date: invalid date 'nonsense'\n" });
    const now = Number((await c.exec(['date', '+%s'])).stdout);
    expect(Math.abs(now - Date.now() / 1000)).toBeLessThan(60);
  });
});

describe('env, printenv, which, nice, nohup, timeout', () => {
  it('env prints, changes and runs with the environment', async () => {
    const { container: c } = setup();
    expect((await c.exec(['env'], { env: { A: '1', B: '2' } })).stdout).toBe('A=1\nB=2\n');
    expect((await c.exec(['env', '-i', 'X=y', 'env'], { env: { A: '1', PATH: '/bin' } })).stdout).toBe('X=y\n');
    expect((await c.exec(['env', '-u', 'A', 'printenv'], { env: { A: '1', PATH: '/bin' } })).stdout).toBe('PATH=/bin\n');
    expect(await c.exec(['env', 'nope'], { env: { PATH: '/bin' } })).toMatchObject({ status: 127, stderr: "env: can't execute 'nope': No such file or directory\n" });
    expect((await c.exec(['printenv', 'A'], { env: { A: 'x' } })).stdout).toBe('x\n');
    expect((await c.exec(['printenv', 'Z'], { env: { A: 'x' } })).status).toBe(1);
  });

  it('which finds commands on PATH', async () => {
    const { container: c } = setup();
    expect((await c.exec(['which', 'ls', 'nope'], { env: { PATH: '/usr/bin:/bin' } })).stdout).toBe('/bin/ls\n');
    expect((await c.exec(['which', 'nope'], { env: { PATH: '/bin' } })).status).toBe(1);
    expect((await c.exec(['nice', 'echo', 'hi'], { env: { PATH: '/bin' } })).stdout).toBe('hi\n');
    expect((await c.exec(['nohup', 'echo', 'hi'], { env: { PATH: '/bin' } })).stdout).toBe('hi\n');
  });

  it('timeout kills a program that runs too long, and not one that ends', async () => {
    const { container: c } = setup();
    const env = { PATH: '/bin' };
    expect((await c.exec(['timeout', '5', 'true'], { env })).status).toBe(0);
    expect((await c.exec(['timeout', '5', 'false'], { env })).status).toBe(1);
    expect((await c.exec(['timeout', '0.05', 'sleep', '10'], { env })).status).toBe(143);
    expect((await c.exec(['timeout', '-s', 'KILL', '0.05', 'sleep', '10'], { env })).status).toBe(137);
    expect((await c.exec(['timeout', '-s', 'BOGUS', '1', 'true'], { env })).stderr).toBe("timeout: unknown signal 'BOGUS'\n");
  });
});

describe('kill and ps', () => {
  it('sends signals to the container processes with the sender identity', async () => {
    const { container: c } = setup();
    // pid 1, like a namespace's init, ignores signals it does not handle.
    let init!: Process;
    const initDone = c.start(['sleep', '100'], { onSpawn: (p) => (init = p) });
    await until('init', async () => init);
    expect(init.pid).toBe(1);
    expect((await c.exec(['kill', '1'])).status).toBe(0);
    let sleeper!: Process;
    const done = c.start(['sleep', '100'], { identity: user, onSpawn: (p) => (sleeper = p) });
    await until('sleeper', async () => sleeper);
    const ps = (await c.exec(['ps'])).stdout.split('\n');
    expect(ps[0]).toBe('PID   USER     TIME  COMMAND');
    expect(ps.some((l) => new RegExp(`^ *${sleeper.pid} 1000 +0:00 sleep 100$`).test(l))).toBe(true);
    expect((await c.exec(['ps', '-o', 'pid,comm'])).stdout).toContain(`${String(sleeper.pid).padStart(5)} sleep`);
    expect((await c.exec(['ps', 'aux'])).status).toBe(0);
    expect(await c.exec(['kill', '-TERM', String(sleeper.pid)], { identity: { uid: 2000, gid: 2000, groups: [] } })).toMatchObject({
      status: 1,
      stderr: `kill: can't kill pid ${sleeper.pid}: Operation not permitted\n`,
    });
    expect(await c.exec(['kill', '99999'])).toMatchObject({ status: 1, stderr: "kill: can't kill pid 99999: No such process\n" });
    expect((await c.exec(['kill', '-0', String(sleeper.pid)])).status).toBe(0);
    expect((await c.exec(['kill', '-s', 'USR1', String(sleeper.pid)])).status).toBe(0);
    expect(await done).toBe(138);
    // Not even SIGKILL, from inside (pid_namespaces(7)); from the runtime, yes.
    expect((await c.exec(['kill', '-9', '1'])).status).toBe(0);
    expect(init.state).toBe('running');
    c.procs.signal(1, 'KILL');
    expect(await initDone).toBe(137);
  });

  it('kill -l lists and translates signals', async () => {
    const { container: c } = setup();
    const l = (await c.exec(['kill', '-l'])).stdout;
    expect(l.split('\n')[0]).toBe(' 1) HUP');
    expect(l).toContain('15) TERM\n');
    expect((await c.exec(['kill', '-l', '143'])).stdout).toBe('TERM\n');
    expect((await c.exec(['kill', '-l', 'KILL'])).stdout).toBe('9\n');
    expect(await c.exec(['kill', '-FOO', '1'])).toMatchObject({ status: 1, stderr: "kill: bad signal name 'FOO'\n" });
    // busybox's kill and killall take -s SIG, not -n (1.35 and HEAD's kill.c).
    expect(await c.exec(['kill', '-n', '9', '1'])).toMatchObject({ status: 1, stderr: "kill: bad signal name 'n'\n" });
    expect(await c.exec(['killall', '-n', '9', 'sleep'])).toMatchObject({ status: 1, stderr: "killall: bad signal name 'n'\n" });
    expect(await c.exec(['kill', '-s'])).toMatchObject({ status: 1, stderr: "kill: bad signal name 's'\n" });
    expect(await c.exec(['kill'])).toMatchObject({ status: 1, stderr: 'kill: you need to specify whom to kill\n' });
  });
});

describe('find and xargs', () => {
  const tree = async () => {
    const s = setup();
    const c = s.container;
    await c.exec(['mkdir', '-p', '/w/a/b', '/w/c']);
    await c.exec(['tee', '/w/a/one.txt'], { input: 'x' });
    await c.exec(['tee', '/w/a/b/two.log'], { input: 'yy' });
    await c.exec(['touch', '/w/c/three.txt']);
    return s;
  };

  it('walks and tests names, types, sizes, depth', async () => {
    const { container: c } = await tree();
    const sorted = async (argv: string[]) => (await c.exec(argv)).stdout.split('\n').filter(Boolean).sort();
    expect(await sorted(['find', '/w'])).toEqual(['/w', '/w/a', '/w/a/b', '/w/a/b/two.log', '/w/a/one.txt', '/w/c', '/w/c/three.txt']);
    expect(await sorted(['find', '/w', '-name', '*.txt'])).toEqual(['/w/a/one.txt', '/w/c/three.txt']);
    expect(await sorted(['find', '/w', '-type', 'd', '-maxdepth', '1'])).toEqual(['/w', '/w/a', '/w/c']);
    expect(await sorted(['find', '/w', '-mindepth', '2', '-type', 'f', '!', '-name', '*.log'])).toEqual(['/w/a/one.txt', '/w/c/three.txt']);
    expect(await sorted(['find', '/w', '-empty'])).toEqual(['/w/c/three.txt']);
    expect(await sorted(['find', '/w', '-size', '+1c'])).toContain('/w/a/b/two.log');
    expect(await sorted(['find', '/w', '(', '-name', 'b', '-o', '-name', 'c', ')', '-print'])).toEqual(['/w/a/b', '/w/c']);
    expect(await sorted(['find', '/w', '-path', '*/b/*'])).toEqual(['/w/a/b/two.log']);
    expect(await sorted(['find', '/w', '-name', 'a', '-prune', '-o', '-type', 'f', '-print'])).toEqual(['/w/c/three.txt']);
    expect((await c.exec(['find', '/w/c', '-print0'])).stdout).toBe('/w/c\0/w/c/three.txt\0');
    expect(await sorted(['find', '/w', '-newer', '/w/a/one.txt', '-type', 'f'])).not.toContain('/w/a/one.txt');
    expect(await c.exec(['find', '/nope'])).toMatchObject({ status: 1, stderr: 'find: /nope: No such file or directory\n' });
    expect(await c.exec(['find', '/w', '-bogus'])).toMatchObject({ status: 1, stderr: 'find: unrecognized: -bogus\n' });
  });

  it('-exec runs commands per file or batched; -delete removes', async () => {
    const { container: c } = await tree();
    const env = { PATH: '/bin' };
    expect((await c.exec(['find', '/w/c', '-type', 'f', '-exec', 'echo', 'got', '{}', ';'], { env })).stdout).toBe('got /w/c/three.txt\n');
    expect((await c.exec(['find', '/w', '-name', '*.txt', '-exec', 'echo', '{}', '+'], { env })).stdout.trim().split(' ').sort()).toEqual([
      '/w/a/one.txt',
      '/w/c/three.txt',
    ]);
    // spawn_and_wait's failure: perror(argv[0]), and the action is false.
    expect(await c.exec(['find', '/w/c', '-type', 'f', '-exec', 'nope', ';', '-print'], { env })).toMatchObject({ stdout: '', stderr: 'find: nope: No such file or directory\n' });
    expect((await c.exec(['find', '/w', '-name', '*.log', '-delete'])).status).toBe(0);
    expect((await c.exec(['find', '/w', '-name', '*.log'])).stdout).toBe('');
  });

  it('xargs batches items into commands', async () => {
    const { container: c } = setup();
    const env = { PATH: '/bin' };
    expect((await c.exec(['xargs'], { input: 'a b\nc', env })).stdout).toBe('a b c\n');
    expect((await c.exec(['xargs', '-n', '2', 'echo', '-'], { input: 'a b c', env })).stdout).toBe('- a b\n- c\n');
    expect((await c.exec(['xargs', '-I', '{}', 'echo', '[{}]'], { input: 'a b\nc\n', env })).stdout).toBe('[a b]\n[c]\n');
    expect((await c.exec(['xargs', '-0', 'echo'], { input: 'a b\0c\0', env })).stdout).toBe('a b c\n');
    expect((await c.exec(['xargs', 'echo'], { input: '"a b" \'c d\' e\\ f', env })).stdout).toBe('a b c d e f\n');
    expect((await c.exec(['xargs', '-r', 'echo', 'x'], { input: '', env })).stdout).toBe('');
    expect((await c.exec(['xargs', 'echo', 'x'], { input: '', env })).stdout).toBe('x\n');
    const tr = await c.exec(['xargs', '-t', 'echo'], { input: 'a', env });
    expect(tr).toMatchObject({ stdout: 'a\n', stderr: 'echo a\n' });
    expect((await c.exec(['xargs', 'false'], { input: 'a', env })).status).toBe(123);
    expect(await c.exec(['xargs', 'nope'], { input: 'a', env })).toMatchObject({ status: 127, stderr: 'xargs: nope: No such file or directory\n' });
    expect(await c.exec(['xargs'], { input: "a'b", env })).toMatchObject({ status: 1, stderr: 'xargs: unmatched single quote\n' });
  });

  // As busybox 1.35: the line's size counts the command's words and each
  // item with its NUL; by default 30 KiB (32 KiB less 2048); -x does nothing.
  it('xargs -s sizes the line as busybox does', async () => {
    const { container: c } = setup();
    const env = { PATH: '/bin' };
    expect((await c.exec(['xargs', '-s', '10', 'echo'], { input: 'a b c', env })).stdout).toBe('a b\nc\n');
    expect((await c.exec(['xargs', '-s', '12', '-x', 'echo'], { input: 'a b c d', env })).stdout).toBe('a b c\nd\n');
    expect(await c.exec(['xargs', '-s', '8', 'echo'], { input: 'aaaaaaa', env })).toMatchObject({ status: 1, stdout: '', stderr: 'xargs: argument line too long\n' });
    expect(await c.exec(['xargs', '-s', '4', 'echo'], { input: 'a', env })).toMatchObject({ status: 1, stderr: "xargs: can't fit single argument within argument list size limit\n" });
    const lines = (await c.exec(['xargs', 'echo'], { input: Array.from({ length: 10000 }, (_, i) => i + 1).join('\n'), env })).stdout.split('\n');
    expect(lines.slice(0, -1).map((l) => l.length + 1)).toEqual([30713, 18181]);
  });
});

describe('md5sum, sha256sum, cksum', () => {
  it('hashes files and stdin, and checks lists', async () => {
    const { container: c } = setup();
    const md5 = createHash('md5').update('hello\n').digest('hex');
    expect((await c.exec(['md5sum'], { input: 'hello\n' })).stdout).toBe(`${md5}  -\n`);
    await c.exec(['tee', '/tmp/h'], { input: 'hello\n' });
    const sha = createHash('sha256').update('hello\n').digest('hex');
    expect((await c.exec(['sha256sum', '/tmp/h'])).stdout).toBe(`${sha}  /tmp/h\n`);
    await c.exec(['tee', '/tmp/list'], { input: `${sha}  /tmp/h\n${'0'.repeat(64)}  /etc/group\n` });
    const check = await c.exec(['sha256sum', '-c', '/tmp/list']);
    expect(check).toMatchObject({
      status: 1,
      stdout: '/tmp/h: OK\n/etc/group: FAILED\n',
      stderr: 'sha256sum: WARNING: 1 of 2 computed checksums did NOT match\n',
    });
    expect(await c.exec(['md5sum', '/nope'])).toMatchObject({ status: 1, stderr: "md5sum: can't open '/nope': No such file or directory\n" });
    expect((await c.exec(['cksum'], { input: 'hello\n' })).stdout).toBe('3015617425 6\n');
  });

  it('hashes a large fill block by block', async () => {
    const { container: c } = setup();
    await c.exec(['dd', 'if=/dev/zero', 'of=/tmp/z', 'bs=1M', 'count=8', 'status=none']);
    const want = createHash('md5').update(Buffer.alloc(8 * 1024 * 1024)).digest('hex');
    expect((await c.exec(['md5sum', '/tmp/z'])).stdout).toBe(`${want}  /tmp/z\n`);
  });
});

describe('stdout handling', () => {
  it('output goes through the given stream in order', async () => {
    const { container: c } = setup();
    const out = new Collector();
    await c.start(['seq', '3'], { stdout: out, identity: root });
    expect(out.text()).toBe('1\n2\n3\n');
  });
});
