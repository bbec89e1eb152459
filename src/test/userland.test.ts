import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { type Tmpfs, mountTmpfs, mountUnavailable } from './tmpfs';
import { stays, until } from './wait';

// A container does what its command says, seen through the CRI as the
// kubelet sees it: its files, its disk usage, its log, its exit, its
// answer to signals. Upstream's node e2e eviction pods are the model.

const MiB = 1024 * 1024;

interface RunOptions {
  // The container's command, instead of sh -c script.
  command?: string[];
  mounts?: object[];
  image?: string;
  securityContext?: object;
  workingDir?: string;
  resources?: object;
  hostNetwork?: boolean;
  hostIpc?: boolean;
}

// cri-tools' test-image-predefined-group: busybox's adduser and addgroup
// wrote its /etc/passwd and /etc/group; its User is 1000.
const PREDEFINED_GROUP = {
  match: 'example.com/predefined-group:*',
  user: '1000',
  files: {
    '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\ndefault-user:x:1000:1000:Linux User,,,:/home/default-user:/bin/sh\n',
    '/etc/group': 'root:x:0:\ndefault-user:x:1000:\ngroup-defined-in-image:x:50000:default-user\n',
  },
};

// An image fakecri knows nothing of: its entrypoint is a program it runs
// until stopped.
const SERVER = { match: 'example.com/server:*', entrypoint: ['/app/server'], userland: 'opaque' };

describe('inside a container', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ runtime: { start_log_line: '' }, images: { catalog: [PREDEFINED_GROUP, SERVER] } });
    await h.img('PullImage', { image: { image: 'busybox' } });
  });
  afterEach(() => h.close());

  async function run(name: string, script: string, o: RunOptions = {}) {
    const cfg = podConfig(`pod-${name}`, { logDir: join(h.dir, 'logs', name), hostNetwork: o.hostNetwork });
    if (o.hostIpc) cfg.linux.security_context.namespace_options.ipc = 'NODE';
    const sandbox = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id as string;
    const cc = {
      ...containerConfig(name, o.image ?? 'busybox'),
      command: o.command ?? ['sh', '-c', script],
      args: [],
      mounts: o.mounts ?? [],
      working_dir: o.workingDir ?? '',
      linux: { resources: o.resources ?? {}, security_context: o.securityContext ?? {} },
    };
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: cfg })).container_id as string;
    await h.rt('StartContainer', { container_id: id });
    return id;
  }
  const status = async (id: string) => (await h.rt('ContainerStatus', { container_id: id })).status;
  const exited = (id: string, ms = 20_000) => until(`${id} to exit`, async () => ((await status(id)).state === 'CONTAINER_EXITED' ? status(id) : undefined), ms);
  const exec = async (id: string, cmd: string[], timeout = 10) => {
    const r = await h.rt('ExecSync', { container_id: id, cmd, timeout });
    return { code: r.exit_code as number, out: Buffer.from(r.stdout).toString(), err: Buffer.from(r.stderr).toString() };
  };
  const layerBytes = async (id: string) => Number((await h.rt('ContainerStats', { container_id: id })).stats.writable_layer.used_bytes.value);
  const log = async (id: string) =>
    readFileSync((await status(id)).log_path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').slice(1).join(' '));

  it("upstream's disk-consuming loop fills the writable layer, one 1 MiB file per round, and the stats count it", async () => {
    const id = await run(
      'hog',
      'i=0; while [ $i -lt 3 ]; do dd if=/dev/urandom of=file${i} bs=1048576 count=1 2>/dev/null; sleep .1; i=$(($i+1)); done; while true; do sleep 5; done',
    );
    await until('three files', async () => ((await exec(id, ['ls', '/'])).out.includes('file2') ? true : undefined));
    expect(await layerBytes(id)).toBeGreaterThanOrEqual(3 * MiB);
    const ls = await exec(id, ['sh', '-c', 'ls -l /file0 /file2 | wc -l; wc -c /file1']);
    expect(ls.out).toBe(`2\n${MiB} /file1\n`);
    expect((await status(id)).state).toBe('CONTAINER_RUNNING');
  });

  it('an emptyDir is the real host directory: the bytes are there for du', async () => {
    const host = join(h.dir, 'volumes', 'test-volume');
    mkdirSync(host, { recursive: true });
    const id = await run('ed', 'i=0; while [ $i -lt 2 ]; do dd if=/dev/zero of=/test-mnt/file${i} bs=1048576 count=1 2>/dev/null; i=$(($i+1)); done; touch /test-mnt/done; sleep 3600', {
      mounts: [{ container_path: '/test-mnt', host_path: host }],
    });
    await until('done file', async () => (readdirSync(host).includes('done') ? true : undefined));
    expect(statSync(join(host, 'file1')).size).toBe(MiB);
    expect(statSync(join(host, 'file1')).blocks * 512).toBeGreaterThanOrEqual(MiB);
    expect(await layerBytes(id)).toBeLessThan(MiB);
  });

  it('output reaches the log in order; the exit code is the shell\'s', async () => {
    const id = await run('out', 'echo one; echo two >&2; x=$((6*7)); echo "x=$x"; exit 3');
    const st = await exited(id);
    expect([st.exit_code, st.reason]).toEqual([3, 'Error']);
    expect(await log(id)).toEqual(['stdout F one', 'stderr F two', 'stdout F x=42']);
  });

  it("StopContainer: SIGTERM runs the shell's trap; without one pid 1 ignores it and is killed at the timeout", async () => {
    const trapped = await run('trap', "trap 'echo bye; exit 0' TERM; while true; do sleep 1; done");
    const plain = await run('plain', 'while true; do sleep 1; done');
    await h.rt('StopContainer', { container_id: trapped, timeout: 10 });
    const st = await status(trapped);
    expect([st.state, st.exit_code, st.reason]).toEqual(['CONTAINER_EXITED', 0, 'Completed']);
    expect(await log(trapped)).toEqual(['stdout F bye']);
    const t = Date.now();
    await h.rt('StopContainer', { container_id: plain, timeout: 1 });
    expect(Date.now() - t).toBeGreaterThanOrEqual(900);
    expect((await status(plain)).exit_code).toBe(137);
  });

  it("StopContainer: a trap runs when SIGTERM comes during the script's last command (sleep & wait), and a background sleep holds back no foreground one", async () => {
    const waiting = await run('wait', "trap 'echo bye; exit 0' TERM; sleep 3600 & wait");
    const beside = await run('beside', "sleep 3600 & sleep 0.2; echo done; trap 'echo t' TERM; sleep 3600 & wait; echo w=$?; sleep 0.1; echo end");
    // The second pod's foreground sleep ends on its own time: it is waiting.
    await until('the foreground sleep to end', async () => ((await log(beside)).includes('stdout F done') ? true : undefined));
    await h.rt('StopContainer', { container_id: waiting, timeout: 10 });
    expect([(await status(waiting)).exit_code, await log(waiting)]).toEqual([0, ['stdout F bye']]);
    await h.rt('StopContainer', { container_id: beside, timeout: 10 });
    const st = await status(beside);
    expect([st.exit_code, st.reason]).toEqual([0, 'Completed']);
    expect(await log(beside)).toEqual(['stdout F done', 'stdout F t', 'stdout F w=143', 'stdout F end']);
  });

  it('echo, printf, test, [ and kill are builtins: they run with no PATH', async () => {
    const id = await run('nopath', 'sleep 3600');
    expect(await exec(id, ['sh', '-c', "PATH=; echo hi; printf 'x\\n'; [ 1 ] && test -n a && kill -0 $$ && echo ok; ls; echo $?"])).toEqual({
      code: 0,
      out: 'hi\nx\nok\n127\n',
      err: 'sh: ls: not found\n',
    });
  });

  it('missing files, directories as input, cp to a name ending in / and pwd -P as busybox has them', async () => {
    const id = await run('files', 'sleep 3600');
    const script = [
      'mkdir -p /w && cd /w && mkdir d && echo a > f && ln -s d l',
      'sed p d nosuch; echo sed=$?; grep a d f; echo grep=$?; echo x | grep -r x; echo r=$?',
      'awk "{print}" nosuch f; echo awk=$?; cp f nodir/; echo cp=$?; tail nosuch; echo tail=$?',
      'tail nosuch f; head nosuch f; cd l; pwd; pwd -P; cd -P .; pwd',
    ].join('; ');
    // Debian's busybox 1.35 gave these, byte for byte.
    expect(await exec(id, ['sh', '-c', script])).toEqual({
      code: 0,
      out: 'sed=1\nf:a\ngrep=0\nx\nr=0\nawk=1\ncp=1\ntail=1\na\n\n==> f <==\na\n/w/l\n/w/d\n/w/d\n',
      err: [
        'sed: nosuch: No such file or directory',
        'awk: nosuch: No such file or directory',
        "cp: can't create 'nodir/': Is a directory",
        "tail: can't open 'nosuch': No such file or directory",
        'tail: no files',
        "tail: can't open 'nosuch': No such file or directory",
        'head: nosuch: No such file or directory',
        '',
      ].join('\n'),
    });
  });

  it("a directory read as a file: open(2) succeeds and read(2) fails, and each applet says it as busybox's does, or not at all", async () => {
    const id = await run('dirs', 'sleep 3600');
    const script = [
      'mkdir -p /w && cd /w && mkdir d && echo a > f',
      'head d; echo head=$?; uniq d; echo uniq=$?; uniq < d; echo uniq=$?; sort d; echo sort=$?; cut -c1 d; echo cut=$?',
      'tr a b < d; echo tr=$?; base64 d; echo base64=$?; base64 -d d; echo d=$?; od d; echo od=$?; hexdump d; echo hexdump=$?',
      'cat -n d; echo catn=$?; cat -v d; echo catv=$?; tee < d; echo tee=$?; rev d; echo rev=$?; paste f d; echo paste=$?',
      'md5sum -c d; echo md5sum=$?; tar -xf d; echo tar=$?; xargs -a d echo x; echo xargs=$?; cmp f d; echo cmp=$?',
      'awk 1 d; echo awk=$?; awk \'BEGIN { print getline x < "d" }\'; read x < d; echo read=$?; sh d; echo sh=$?; . ./d; echo dot=$?',
    ].join('\n');
    // Debian's busybox 1.35 gave these, byte for byte (paste's "a\t" and
    // no newline included).
    expect(await exec(id, ['sh', '-c', script])).toEqual({
      code: 0,
      out: [
        'head=1\nuniq=1\nuniq=1\nsort=0\ncut=0\ntr=1\nbase64=1\nd=0\n0000000\nod=1\nhexdump=0\ncatn=0\ncatv=1\ntee=1\nrev=0\na\tpaste=0',
        'md5sum=1\ntar=1\nx\nxargs=0\ncmp=2\nawk=1\n-1\nread=1\nsh=0\ndot=0\n',
      ].join('\n'),
      err: [
        'head: d: Input/output error',
        'uniq: d: I/O error',
        'uniq: (null): I/O error',
        'tr: read error: Is a directory',
        'base64: read error: Is a directory',
        'od: d: read error',
        'hexdump: d: Is a directory',
        'md5sum: d: no checksum lines found',
        'tar: short read',
        'cmp: d: I/O error',
        'awk: cmd. line:1: Is a directory',
        '',
      ].join('\n'),
    });
  });

  it('a write to a full stdout (/dev/full, as a full disk gives it) ends each command as busybox\'s: builtins go on with 1, applets say it or not as their source does', async () => {
    const id = await run('full', 'sleep 3600');
    const script = [
      'echo x > /dev/full; echo echo=$?; printf x > /dev/full; echo printf=$?; pwd > /dev/full; echo pwd=$?; type ls > /dev/full; echo type=$?',
      'set > /dev/full; echo set=$?; cd /; cd - > /dev/full; echo cd=$?; kill -l > /dev/full; echo kill=$?; f() { echo x; }; f > /dev/full; echo f=$?',
      'echo a > /tmp/f; cat /tmp/f > /dev/full; echo cat=$?; cat -n /tmp/f > /dev/full; echo catn=$?; seq 3 > /dev/full; echo seq=$?',
      'echo x | head > /dev/full; echo head=$?; echo x | sort > /dev/full; echo sort=$?; echo x | tr x y > /dev/full; echo tr=$?',
      'echo x | grep x > /dev/full; echo grep=$?; date > /dev/full; echo date=$?; basename a > /dev/full; echo basename=$?; yes > /dev/full; echo yes=$?',
      'echo a | tee /dev/full /tmp/g /dev/full; echo tee=$?; cat /tmp/g; echo a | tee - > /dev/full; echo tee=$?',
    ].join('\n');
    // Debian's busybox 1.35 gave these, byte for byte; yes's "(null)" is
    // glibc printing bb_perror_nomsg's NULL.
    expect(await exec(id, ['sh', '-c', script])).toEqual({
      code: 0,
      out: 'echo=1\nprintf=1\npwd=1\ntype=1\nset=1\ncd=1\nkill=1\nf=1\ncat=1\ncatn=0\nseq=255\nhead=0\nsort=0\ntr=1\ngrep=0\ndate=0\nbasename=1\nyes=1\na\ntee=1\na\ntee=1\n',
      err: [
        'sh: write error: No space left on device',
        'sh: write error: No space left on device',
        'cat: write error: No space left on device',
        'cat: standard output: No space left on device',
        'head: standard output: No space left on device',
        'sort: standard output: No space left on device',
        'tr: write error: No space left on device',
        'yes: (null): No space left on device',
        'tee: /dev/full: I/O error',
        'tee: -: I/O error',
        '',
      ].join('\n'),
    });
    // An output file busybox moves to fd 1 fails as stdout; tar's xwrite
    // says "write error"; awk never asks its files; head, past stdio's
    // buffer, finds it in its loop.
    const more = [
      'cd /tmp && echo abc > f; tar cf - f > /dev/full; echo tar=$?; sort -o /dev/full f; echo sort=$?; uniq f /dev/full; echo uniq=$?',
      'awk \'{print > "/dev/full"}\' f; echo awk=$?; head -c 100000 /dev/zero > /dev/full; echo head=$?',
    ].join('\n');
    expect(await exec(id, ['sh', '-c', more])).toEqual({
      code: 0,
      out: 'tar=1\nsort=0\nuniq=0\nawk=0\nhead=1\n',
      err: [
        'tar: write error: No space left on device',
        'sort: standard output: No space left on device',
        'uniq: standard output: No space left on device',
        'head: standard output: I/O error',
        '',
      ].join('\n'),
    });
  });

  it("top, critest's default command, ends on SIGTERM though it is pid 1, with 143", async () => {
    const id = await run('top', 'top');
    await until('top to print', async () => ((await log(id)).some((l) => l.includes('PID  PPID')) ? true : undefined));
    await h.rt('StopContainer', { container_id: id, timeout: 600 });
    const st = await status(id);
    expect([st.state, st.exit_code, st.reason]).toEqual(['CONTAINER_EXITED', 143, 'Error']);
  });

  it("pidof, killall, setsid and wait -n as busybox's; SIGKILL from inside the container does not reach pid 1", async () => {
    const id = await run('byname', 'sleep 3600');
    const script = [
      'sleep 100 & p=$!; echo $p; pidof sleep; pidof -s sleep; pidof -o $p sleep; pidof nosuch; echo st=$?',
      'killall -9 sleep; echo st=$?; pidof sleep',
      'killall nosuch; echo st=$?; killall -q nosuch; echo st=$?',
      'setsid echo in-session',
      // ash's wait -n goes on until a job exits 0, and answers 0 or 129.
      '(sleep 0.1; exit 4) & sleep 0.3 & wait -n; echo n=$?; (exit 4) & wait -n; echo n=$?',
    ].join('\n');
    const r = await exec(id, ['sh', '-c', script]);
    const bg = r.out.split('\n')[0];
    expect(r).toEqual({
      code: 0,
      out: `${bg}\n${bg} 1\n${bg}\n1\nst=1\nst=0\n1\nst=1\nst=1\nin-session\nn=0\nn=129\n`,
      err: 'killall: nosuch: no process killed\n',
    });
    expect((await status(id)).state).toBe('CONTAINER_RUNNING');
  });

  it("pgrep and pkill find the container's processes; an ExecSync past its timeout leaves none behind (critest)", async () => {
    const id = await run('pg', 'sleep 3600');
    expect(await exec(id, ['sh', '-c', 'pgrep sleep || true'])).toEqual({ code: 0, out: '1\n', err: '' });
    const err = await h.rt('ExecSync', { container_id: id, cmd: ['sleep', '4321'], timeout: 1 }).catch((e) => e);
    expect(err.details).toMatch(/timeout 1s exceeded/);
    expect((await exec(id, ['pgrep', '-f', 'sleep 4321'])).code).toBe(1);
    expect(await exec(id, ['pgrep', '-l', '-x', 'sl.*'])).toEqual({ code: 0, out: '1 sleep\n', err: '' });
    // kill(2) says it sent SIGKILL, but pid 1 gets none from inside.
    expect((await exec(id, ['pkill', '-KILL', 'sleep'])).code).toBe(0);
    expect((await status(id)).state).toBe('CONTAINER_RUNNING');
  });

  it('hostname NAME needs CAP_SYS_ADMIN, and a seccomp profile may deny it unless privileged (critest)', async () => {
    const profile = join(h.dir, 'block-hostname.json');
    writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['sethostname'], action: 'SCMP_ACT_ERRNO' }] }));
    const blocking = { profile_type: 'Localhost', localhost_ref: profile };
    const sysAdmin = { add_capabilities: ['SYS_ADMIN'] };
    const plain = await run('h-plain', 'sleep 3600');
    const admin = await run('h-admin', 'sleep 3600', { securityContext: { capabilities: sysAdmin, seccomp: { profile_type: 'Unconfined' } } });
    const blocked = await run('h-blocked', 'sleep 3600', { securityContext: { capabilities: sysAdmin, seccomp: blocking } });
    const privileged = await run('h-priv', 'sleep 3600', { securityContext: { privileged: true, seccomp: blocking } });
    const denied = { code: 1, out: '', err: 'hostname: sethostname: Operation not permitted\n' };
    expect(await exec(plain, ['hostname', 'ANewHostName'])).toEqual(denied);
    expect(await exec(blocked, ['hostname', 'ANewHostName'])).toEqual(denied);
    for (const id of [admin, privileged]) {
      expect(await exec(id, ['hostname', 'ANewHostName'])).toEqual({ code: 0, out: '', err: '' });
      expect((await exec(id, ['hostname'])).out).toBe('ANewHostName\n');
    }
  });

  it('capabilities and seccomp decide brctl addbr, ping and chmod (critest)', async () => {
    const profile = join(h.dir, 'block-chmod.json');
    writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod', 'fchmodat'], action: 'SCMP_ACT_ERRNO' }] }));
    const plain = await run('c-plain', 'sleep 3600');
    const netAdmin = await run('c-admin', 'sleep 3600', { securityContext: { capabilities: { add_capabilities: ['NET_ADMIN'] } } });
    const noRaw = await run('c-noraw', 'sleep 3600', { securityContext: { capabilities: { drop_capabilities: ['NET_RAW'] } } });
    const noChmod = await run('c-nochmod', 'sleep 3600', { securityContext: { seccomp: { profile_type: 'Localhost', localhost_ref: profile } } });
    expect(await exec(plain, ['brctl', 'addbr', 'foobar'])).toEqual({ code: 1, out: '', err: 'brctl: bridge foobar: Operation not permitted\n' });
    expect(await exec(netAdmin, ['brctl', 'addbr', 'foobar'])).toEqual({ code: 0, out: '', err: '' });
    expect(await exec(noRaw, ['ping', '127.0.0.1'])).toEqual({ code: 1, out: 'PING 127.0.0.1 (127.0.0.1): 56 data bytes\n', err: 'ping: permission denied (are you root?)\n' });
    const pinged = await exec(plain, ['ping', '-c', '2', '-i', '0.01', '127.0.0.1']);
    expect(pinged.code).toBe(0);
    expect(pinged.out).toMatch(/^64 bytes from 127\.0\.0\.1: seq=1 ttl=64 time=/m);
    expect(pinged.out).toContain('2 packets transmitted, 2 packets received, 0% packet loss');
    expect(await exec(noChmod, ['chmod', '400', '/'])).toEqual({ code: 1, out: '', err: 'chmod: /: Operation not permitted\n' });
    expect(await exec(plain, ['chmod', '400', '/tmp'])).toEqual({ code: 0, out: '', err: '' });
  });

  it('ExecSync and the program see the same files, live', async () => {
    const id = await run('shared', 'while [ ! -f /tmp/go ]; do sleep 0.05; done; echo "$(cat /tmp/go)" > /tmp/seen; sleep 3600');
    expect(await exec(id, ['sh', '-c', 'echo hi > /tmp/go'])).toEqual({ code: 0, out: '', err: '' });
    await until('the program to answer', async () => ((await exec(id, ['cat', '/tmp/seen'])).out === 'hi\n' ? true : undefined));
  });

  it("sh remembers where it found a command, as ash's hash: one put earlier on PATH runs after hash -r or a new PATH", async () => {
    const id = await run('hash', 'sleep 3600');
    const script = [
      'mkdir -p /usr/local/bin; export PATH=/usr/local/bin:/bin',
      'mine() { printf "#!/bin/sh\\necho mine\\n" > /usr/local/bin/hostname; chmod +x /usr/local/bin/hostname; }',
      'hostname; mine; hostname',
      'hash -r; hostname',
      'rm /usr/local/bin/hostname; hostname',
      'mine; PATH=/usr/local/bin:/bin:/usr/bin; hostname',
      // hash lists where; hash NAME looks again.
      'hash; rm /usr/local/bin/hostname; hash hostname; hash',
    ].join('\n');
    const name = (await exec(id, ['hostname'])).out;
    expect(await exec(id, ['sh', '-c', script])).toEqual({ code: 0, out: `${name}${name}mine\n${name}mine\n/usr/local/bin/hostname\n/bin/rm\n/bin/hostname\n`, err: '' });
  });

  // What Debian's busybox 1.35 ash prints for each.
  it('a PATH entry that is no file is "Permission denied", 127; a file found that cannot run, 126, unless one further down can', async () => {
    const id = await run('path-search', 'sleep 3600');
    const script = [
      '""; echo $?',
      'mkdir -p /tmp/a/d /tmp/b; touch /tmp/a/x; PATH=/tmp/a:$PATH',
      'd; echo $?; x; echo $?',
      'printf "#!/bin/sh\\necho b\\n" > /tmp/b/x; chmod +x /tmp/b/x; PATH=/tmp/a:/tmp/b:/bin; x',
      'PATH=/nonexist; ""; echo $?',
    ].join('\n');
    const err = 'sh: : Permission denied\nsh: d: Permission denied\nsh: x: Permission denied\nsh: : not found\n';
    expect(await exec(id, ['sh', '-c', script])).toEqual({ code: 0, out: '127\n127\n126\nb\n127\n', err });
    // runc's search passes over what it cannot run.
    await expect(exec(id, [''])).rejects.toThrow('exec: "": executable file not found in $PATH');
  });

  it('a file without #! runs as `ash CMD` (ENOEXEC), $0 the name as searched; PATH=x before a command is the PATH searched', async () => {
    const id = await run('noexec', 'sleep 3600');
    const script = 'mkdir -p /b && printf "echo in \\$0 \\$1\\n" > /b/s && chmod +x /b/s; PATH=/b s x; cd /b && ./s y; PATH=/nowhere ls; echo $?';
    // busybox 1.35 gave these.
    expect(await exec(id, ['sh', '-c', script])).toEqual({ code: 0, out: 'in /b/s x\nin ./s y\n127\n', err: 'sh: ls: not found\n' });
  });

  it('the fds a shell opened past 2 stay open in the programs it starts, as over fork and exec, and outlive its own close', async () => {
    const id = await run('fds', 'sleep 3600');
    const script = [
      'exec 3>/tmp/o3; sh -c "echo d >&3"',
      'printf "echo in >&5\\n" > /tmp/s5; chmod +x /tmp/s5; /tmp/s5 5>>/tmp/o3',
      'exec 6>>/tmp/o3; sh -c "sleep 0.1; echo late >&6" & exec 6>&-; wait; cat /tmp/o3',
    ].join('\n');
    expect(await exec(id, ['sh', '-c', script])).toEqual({ code: 0, out: 'd\nin\nlate\n', err: '' });
  });

  // ash with ASH_BASH_COMPAT, as the busybox image has it: each script's
  // output as busybox 1.35's sh and applets give it.
  it('process substitution: <(...) and >(...) are /dev/fd/N from 64, which the programs open, closed after the command', async () => {
    const id = await run('psub', 'sleep 3600');
    const cases: [script: string, out: string, code?: number, err?: string][] = [
      ['cat <(echo hi)', 'hi\n'],
      ['echo <(true) <(true); echo x<(true); echo <()', '/dev/fd/64 /dev/fd/65\nx/dev/fd/64\n/dev/fd/-1\n'],
      ['while read l; do echo "got $l"; done < <(printf "a\\nb\\n")', 'got a\ngot b\n'],
      ['cmp <(echo a) <(echo b); echo $?', '/dev/fd/64 /dev/fd/65 differ: char 1, line 1\n1\n'],
      ['diff <(printf "a\\nb\\n") <(printf "a\\nc\\n"); echo $?', '--- /dev/fd/64\n+++ /dev/fd/65\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n1\n'],
      ['paste <(seq 3) <(seq 4 6) | tr "\\t" +', '1+4\n2+5\n3+6\n'],
      ['exec 3< <(echo three); cat <&3; echo "[$(cat /dev/fd/3)]"', 'three\n[]\n'],
      ['head -1 <(yes); echo $?', 'y\n0\n'],
      ['echo "<(no)" \\<\\(no\\)', '<(no) <(no)\n'],
      ['f() { cat "$1"; }; f <(echo func); cat /dev/fd/64', 'func\n', 1, "cat: can't open '/dev/fd/64': No such file or directory\n"],
      ['set -e; cat <(false); echo survived', 'survived\n'],
      ['echo abc | tee >(wc -c > /tmp/n) >/dev/null; while [ ! -s /tmp/n ]; do sleep 0.01; done; cat /tmp/n', '4\n'],
    ];
    for (const [script, out, code = 0, err = ''] of cases) expect({ script, ...(await exec(id, ['sh', '-c', script])) }).toEqual({ script, code, out, err });
  });

  it("the applets ash runs as builtins (printf, [, kill) speak as sh, as busybox's do; run on their own or exec'd, as themselves", async () => {
    const id = await run('builtins', 'sleep 3600');
    expect(await exec(id, ['sh', '-c', 'printf %d x; [ 1 -eq y ]; kill -s; printf'])).toEqual({
      code: 2,
      out: '0',
      err: "sh: invalid number 'x'\nsh: y: bad number\nsh: bad signal name 's'\nsh: usage: printf FORMAT [ARGUMENT...]\n",
    });
    expect(await exec(id, ['/bin/sh', '-c', 'printf %d x | cat; env printf %d y; nohup printf %d z 2>&1'])).toEqual({
      code: 1,
      out: "00printf: invalid number 'z'\n0",
      err: "sh: invalid number 'x'\nprintf: invalid number 'y'\n",
    });
  });

  it("a command that dies of a signal is reported as ash reports it (Terminated, Killed; not SIGINT), timeout's program dies of the signal, and the shell ignores SIGQUIT", async () => {
    const id = await run('signalled', 'sleep 3600');
    const script = [
      "sh -c 'kill $$'; echo st=$?",
      'sleep 10 & p=$!; kill -9 $p; wait $p; echo st=$?',
      'timeout 0.1 sleep 5; echo st=$?',
      "sh -c 'kill -INT $$'; echo st=$?",
      "sh -c 'kill -QUIT $$'; echo st=$?",
      'sleep 10 & p=$!; kill $p; while kill -0 $p 2>/dev/null; do sleep 0.01; done; jobs; wait $p; echo st=$?',
    ].join('; ');
    // What Debian's busybox 1.35 prints for the same script.
    expect(await exec(id, ['sh', '-c', script])).toEqual({
      code: 0,
      out: `st=143\nst=137\nst=143\nst=130\nst=0\n[1]+  Terminated${' '.repeat(17)}\nst=127\n`,
      err: 'Terminated\nKilled\nTerminated\n',
    });
  });

  it('a busy loop in ExecSync neither freezes fakecri nor outlives its timeout', async () => {
    const id = await run('busy', 'sleep 3600');
    const busy = h.rt('ExecSync', { container_id: id, cmd: ['sh', '-c', 'while true; do echo x >/dev/null; done'], timeout: 2 }).catch((e) => e);
    // Other RPCs are answered meanwhile.
    for (let i = 0; i < 5; i++) expect((await h.rt('Version', {})).runtime_name).toBe('fakecri');
    const err = await busy;
    expect(err.details).toMatch(/timeout 2s exceeded/);
    // The loop was killed with the call: no process of it is left.
    expect((await exec(id, ['ps'])).out).not.toContain('while true');
  });

  it('sleep 2592000 (30 days, past a 2^31 ms timer) sleeps, in the program and in ExecSync', async () => {
    const id = await run('long', 'sleep 2592000; echo woke');
    const err = await h.rt('ExecSync', { container_id: id, cmd: ['sleep', '2592000'], timeout: 1 }).catch((e) => e);
    expect(err.details).toMatch(/timeout 1s exceeded/);
    await stays('the container running', async () => (await status(id)).state === 'CONTAINER_RUNNING', 1000);
    expect(await log(id)).toEqual([]);
  });

  it('a fork bomb is bounded, and fakecri keeps answering', async () => {
    const id = await run('bomb', 'sleep 3600');
    // As in ash, the calling shell starts the bomb in the background and
    // ends; the bomb goes on in the container, at most 1024 processes.
    expect(await exec(id, ['sh', '-c', ':(){ :|:& };:'], 3)).toEqual({ code: 0, out: '', err: '' });
    expect((await h.rt('Version', {})).runtime_name).toBe('fakecri');
    const full = { code: 2, out: '', err: "sh: can't fork: Resource temporarily unavailable\n" };
    await until('the bomb to fill the process table', async () => (JSON.stringify(await exec(id, ['sh', '-c', 'ps | wc -l'])) === JSON.stringify(full) ? true : undefined));
    expect((await h.rt('Version', {})).runtime_name).toBe('fakecri');
    await h.rt('StopContainer', { container_id: id, timeout: 1 });
    expect((await status(id)).exit_code).toBe(137);
  });

  it('a 100 MB here-document or word is refused with ash\'s message, and fakecri keeps answering', async () => {
    const id = await run('big', 'sleep 3600');
    const script = 'x=$(head -c 100000000 /dev/zero | tr "\\0" x); cat <<EOF\n$x\nEOF';
    expect(await exec(id, ['sh', '-c', script], 60)).toEqual({ code: 2, out: '', err: 'sh: out of memory\n' });
    expect((await h.rt('Version', {})).runtime_name).toBe('fakecri');
  });

  it("a mount whose directories the image lacks is reached through them, made as runc makes them (the service account token)", async () => {
    const host = join(h.dir, 'sa-token');
    mkdirSync(host);
    writeFileSync(join(host, 'token'), 'secret-token');
    const id = await run('sa', 'sleep 3600', {
      mounts: [{ container_path: '/var/run/secrets/kubernetes.io/serviceaccount', host_path: host, readonly: true }],
      securityContext: { readonly_rootfs: true },
    });
    expect(await exec(id, ['cat', '/var/run/secrets/kubernetes.io/serviceaccount/token'])).toMatchObject({ code: 0, out: 'secret-token' });
    expect(await exec(id, ['sh', '-c', 'ls /var/run /var/run/secrets; stat -c "%a %U" /var/run/secrets/kubernetes.io'])).toMatchObject({
      code: 0,
      out: '/var/run:\nsecrets\n\n/var/run/secrets:\nkubernetes.io\n755 root\n',
    });
    // The root stays read-only for the container itself.
    expect(await exec(id, ['mkdir', '/var/run/x'])).toMatchObject({ code: 1, err: "mkdir: can't create directory '/var/run/x': Read-only file system\n" });
  });

  it("netstat and ipcs show the host's sockets and shared memory only with the host's namespaces (critest)", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, resolve));
    const port = (server.address() as AddressInfo).port;
    const segment = /(\d+)\s*$/.exec(execFileSync('ipcmk', ['-M', '4096'], { encoding: 'utf8' }))![1];
    try {
      const host = await run('hostns', 'sleep 3600', { hostNetwork: true, hostIpc: true });
      const pod = await run('podns', 'sleep 3600');
      const listening = new RegExp(`^tcp6? +0 +0 (::|0\\.0\\.0\\.0):${port} .* LISTEN`, 'm');
      expect((await exec(host, ['netstat', '-ln'])).out).toMatch(listening);
      expect((await exec(pod, ['netstat', '-ln'])).out).not.toMatch(listening);
      const shm = new RegExp(`^0x[0-9a-f]{8} ${segment} +root +644 +4096 `, 'm');
      expect((await exec(host, ['ipcs', '-m'])).out).toMatch(shm);
      const podIpcs = await exec(pod, ['ipcs', '-m']);
      expect(podIpcs).toMatchObject({ code: 0, out: expect.stringContaining('------ Shared Memory Segments --------') });
      expect(podIpcs.out).not.toMatch(shm);
    } finally {
      execFileSync('ipcrm', ['-m', segment]);
      server.close();
    }
  });

  it("a dd whose buffer is over the memory limit is OOM-killed: 137, reason OOMKilled (critest)", async () => {
    const limits = { memory_limit_in_bytes: String(15 * MiB), memory_swap_limit_in_bytes: String(15 * MiB) };
    const small = await run('fits', 'sleep 3600', { resources: limits });
    // Under the limit it copies; in ExecSync too, over it the exec is killed.
    expect(await exec(small, ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1M', 'count=2'])).toMatchObject({ code: 0 });
    expect(await exec(small, ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=20M', 'count=1'])).toMatchObject({ code: 137, err: '' });
    const oom = await run('oom', 'dd if=/dev/zero of=/dev/null bs=20M', { resources: limits });
    expect(await exited(oom)).toMatchObject({ exit_code: 137, reason: 'OOMKilled' });
  });

  it('masked_paths and readonly_paths as runc applies them (critest MaskedPaths, ReadonlyPaths)', async () => {
    const id = await run('masks', 'sleep 3600', {
      securityContext: { masked_paths: ['/bin/ls', '/usr/sbin', '/proc/kcore', '/no/such/path'], readonly_paths: ['/tmp', '/proc/sys'] },
    });
    expect(await exec(id, ['/bin/sh', '-c', 'ls'])).toMatchObject({ code: 127, err: '/bin/sh: ls: Permission denied\n' });
    expect(await exec(id, ['sh', '-c', 'wc -c < /bin/ls; echo /usr/sbin/*; touch /usr/sbin/x; echo /no/such/*'])).toMatchObject({
      out: '0\n/usr/sbin/*\n/no/such/*\n',
      err: 'touch: /usr/sbin/x: Read-only file system\n',
    });
    expect(await exec(id, ['touch', '/tmp/test'])).toMatchObject({ code: 1, err: 'touch: /tmp/test: Read-only file system\n' });
    // The rest of the tree is as it was: other applets run, / is writable.
    expect(await exec(id, ['sh', '-c', 'echo ok > /x && cat /x && wc -l < /etc/passwd'])).toMatchObject({ code: 0, out: expect.stringMatching(/^ok\n[1-9]\d*\n$/) });
    // Privileged: neither applies.
    const priv = await run('masks-priv', 'sleep 3600', { securityContext: { privileged: true, masked_paths: ['/bin/ls'], readonly_paths: ['/tmp'] } });
    expect(await exec(priv, ['sh', '-c', 'ls -d /tmp && touch /tmp/test'])).toMatchObject({ code: 0, out: '/tmp\n' });
  });

  it("supplemental groups: the image's /etc/group merged (the default) or not (Strict), in ContainerStatus.user and id -G (critest)", async () => {
    await h.img('PullImage', { image: { image: 'example.com/predefined-group:1' } });
    for (const [policy, want] of [
      ['Merge', [1000, 1234, 50000]],
      ['Strict', [1000, 1234]],
    ] as const) {
      const id = await run(`groups-${policy.toLowerCase()}`, 'id -G; sleep 3600', {
        image: 'example.com/predefined-group:1',
        securityContext: { run_as_user: { value: 1000 }, supplemental_groups: [1234], supplemental_groups_policy: policy },
      });
      const user = (await status(id)).user.linux;
      expect({ uid: Number(user.uid), gid: Number(user.gid), groups: user.supplemental_groups.map(Number).sort((a: number, b: number) => a - b) }).toEqual({ uid: 1000, gid: 1000, groups: want });
      const line = `${want.join(' ')}\n`;
      await until(`${policy}: id -G in the log`, async () => ((await log(id)).join('\n').includes(line.trim()) ? true : undefined));
      expect((await exec(id, ['id', '-G'])).out).toBe(line);
    }
  });

  it('runs as run_as_user, with permissions from the file modes', async () => {
    const id = await run('user', 'sleep 3600', { securityContext: { run_as_user: { value: '65534' } } });
    expect((await exec(id, ['id', '-u'])).out).toBe('65534\n');
    const denied = await exec(id, ['sh', '-c', 'echo x > /root/f']);
    expect(denied.code).not.toBe(0);
    expect(denied.err).toMatch(/Permission denied/);
    expect((await exec(id, ['sh', '-c', 'echo x > /tmp/f && cat /tmp/f'])).out).toBe('x\n');
    // sed -i makes its file beside the one edited (xmkstemp), mktemp says
    // bb_perror_nomsg's "(null)": as busybox 1.35 does, run as uid 1000.
    const sed = await exec(id, ['sh', '-c', 'sed -i s/a/b/ /etc/passwd; echo $?; mktemp -p /etc; echo $?']);
    expect(sed.out).toBe('1\n1\n');
    expect(sed.err).toMatch(/^sed: can't create temp file '\/etc\/passwd[A-Za-z0-9]{6}': Permission denied\nmktemp: \(null\): Permission denied\n$/);
    // tar opens a file before its header: one it may not read stays out.
    const tar = await exec(id, ['sh', '-c', 'cd /tmp && touch u && chmod 200 u && tar cf t.tar u; echo $?; tar tf t.tar | wc -l']);
    expect(tar).toEqual({ code: 0, out: '1\n0\n', err: "tar: can't open 'u': Permission denied\ntar: error exit delayed from previous errors\n" });
  });

  // These programs only wait, and fakecri keeps nothing of their inside
  // until something looks in (userland/resting.ts): seen from outside they
  // must be what they would have been had they run all along.
  describe('programs that only wait', () => {
    it("sleep as pid 1: ps shows it from the container's start, it ignores SIGTERM and SIGKILL ends it", async () => {
      const id = await run('rest', '', { command: ['sleep', 'infinity'] });
      const started = Number(BigInt((await status(id)).started_at) / 1_000_000n);
      await until('the container two seconds old', async () => (Date.now() - started >= 2000 ? true : undefined));
      const ps = await exec(id, ['ps', '-o', 'pid,etime,args']);
      const pid1 = ps.out.split('\n').find((l) => /^\s*1 /.test(l));
      expect(pid1).toMatch(/^\s*1\s+\d+:\d\d\s+sleep infinity$/);
      const [m, sec] = /(\d+):(\d\d)/.exec(pid1!)!.slice(1).map(Number);
      expect(m * 60 + sec).toBeGreaterThanOrEqual(2);
      const t = Date.now();
      await h.rt('StopContainer', { container_id: id, timeout: 1 });
      expect(Date.now() - t).toBeGreaterThanOrEqual(900);
      expect((await status(id)).exit_code).toBe(137);
    });

    // The keep-alive many pods use: tail.c follows every file it opened,
    // a device too, reading nothing from /dev/null every second.
    it('tail -f /dev/null runs until stopped: pid 1 ignores SIGTERM, the timeout kills it', async () => {
      const id = await run('tailf', '', { command: ['tail', '-f', '/dev/null'] });
      await stays('tail -f /dev/null running', async () => (await status(id)).state === 'CONTAINER_RUNNING', 2500);
      expect((await exec(id, ['sh', '-c', 'timeout 1 tail -f /dev/null; echo $?'])).out).toBe('143\n');
      await h.rt('StopContainer', { container_id: id, timeout: 1 });
      expect((await status(id)).exit_code).toBe(137);
    });

    it('sleep N ends at N seconds after the start, with 0, and SIGTERM before then is ignored as pid 1', async () => {
      const short = await run('short', '', { command: ['sleep', '1.5'] });
      const long = await run('long', '', { command: ['/bin/sleep', '1m'] });
      const st = await exited(short);
      expect([st.exit_code, st.reason]).toEqual([0, 'Completed']);
      const ran = Number((BigInt(st.finished_at) - BigInt(st.started_at)) / 1_000_000n);
      expect(ran).toBeGreaterThanOrEqual(1500);
      expect((await status(long)).state).toBe('CONTAINER_RUNNING');
      await h.rt('StopContainer', { container_id: long, timeout: 1 });
      expect((await status(long)).exit_code).toBe(137);
    });

    it("an image's program fakecri knows nothing of stops on SIGTERM with 0; the metrics count one process without looking in", async () => {
      await h.img('PullImage', { image: { image: 'example.com/server:1' } });
      const id = await run('server', '', { image: 'example.com/server:1', command: [] });
      const processes = async () => {
        const pods = (await h.rt('ListPodSandboxMetrics')).pod_metrics as { container_metrics: { container_id: string; metrics: { name: string; value: { value: string } }[] }[] }[];
        const mine = pods.flatMap((p) => p.container_metrics).find((c) => c.container_id === id);
        return mine?.metrics.find((x) => x.name === 'container_processes')?.value.value;
      };
      expect(await processes()).toBe('1');
      await h.rt('StopContainer', { container_id: id, timeout: 30 });
      const st = await status(id);
      expect([st.exit_code, st.reason]).toEqual([0, 'Completed']);
    });

    it('after a restart of fakecri, sleep N still ends at its time and sleep infinity still runs', async () => {
      const short = await run('short', '', { command: ['sleep', '3'] });
      const forever = await run('forever', '', { command: ['sleep', 'inf'] });
      await h.restart();
      const st = await exited(short);
      expect(st.exit_code).toBe(0);
      expect(Number((BigInt(st.finished_at) - BigInt(st.started_at)) / 1_000_000n)).toBeGreaterThanOrEqual(3000);
      expect((await status(forever)).state).toBe('CONTAINER_RUNNING');
      expect((await exec(forever, ['pgrep', '-l', 'sleep'])).out).toBe('1 sleep\n');
    });
  });

  it('after a restart of fakecri the program carries on without writing twice', async () => {
    const id = await run('replay', 'i=0; while [ $i -lt 40 ]; do echo $i >> /tmp/count; echo tick $i; i=$((i+1)); sleep 0.1; done; sleep 3600');
    await until('a few rounds', async () => ((await exec(id, ['cat', '/tmp/count'])).out.split('\n').length > 5 ? true : undefined));
    await h.restart();
    await until('forty rounds', async () => ((await exec(id, ['cat', '/tmp/count'])).out.split('\n').filter(Boolean).length >= 40 ? true : undefined), 60_000);
    const lines = (await exec(id, ['cat', '/tmp/count'])).out.split('\n').filter(Boolean);
    expect(lines).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    const ticks = (await log(id)).filter((l) => l.startsWith('stdout F tick'));
    expect(ticks).toEqual(Array.from({ length: 40 }, (_, i) => `stdout F tick ${i}`));
  });

  describe.skipIf(mountUnavailable)('on a real, small containerfs', () => {
    let fs: Tmpfs;
    beforeEach(async () => {
      await h.close();
      fs = mountTmpfs('8m', 'containerfs');
      h = await startHarness({ runtime: { start_log_line: '' }, filesystems: { imagefs: {}, containerfs: { backend: 'host', path: fs.path } } });
      await h.img('PullImage', { image: { image: 'busybox' } });
    });
    afterEach(async () => {
      await h.close();
      fs.unmount();
      h = await startHarness({});
    });

    it('dd fails with ENOSPC as busybox says it, and the layer keeps what fitted', async () => {
      const id = await run('full', 'dd if=/dev/zero of=/big bs=1048576 count=64; echo "dd=$?"; sleep 3600');
      await until('dd to end', async () => ((await log(id)).some((l) => l.startsWith('stdout F dd=')) ? true : undefined));
      const lines = await log(id);
      expect(lines).toContain("stderr F dd: error writing '/big': No space left on device");
      expect(lines).toContain('stdout F dd=1');
      expect(await layerBytes(id)).toBeGreaterThan(0);
    });
  });
});
