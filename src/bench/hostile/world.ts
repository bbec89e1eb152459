import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from './rng';

// The files a fuzz run points fakecri at: log directories, volumes, seccomp
// profiles, and decoys (a file and a directory that fakecri must never
// write into, with symlinks to them planted where it does write). Every path
// the fuzzer sends is in here, or a system path fakecri only reads or
// cannot write: the fuzzer must not litter the host if fakecri has a bug.
export class World {
  readonly logs: string;
  readonly decoyFile: string;
  readonly decoyDir: string;
  readonly hostPath: string;
  readonly kubelet: string;
  readonly profiles: string;
  readonly cgroupRoot: string;
  private readonly decoyText = 'decoy: fakecri must never write here\n';

  constructor(readonly dir: string) {
    this.logs = join(dir, 'logs');
    this.decoyFile = join(dir, 'decoy.txt');
    this.decoyDir = join(dir, 'decoy');
    this.hostPath = join(dir, 'host', 'data');
    this.kubelet = join(dir, 'kubelet');
    this.profiles = join(dir, 'profiles');
    this.cgroupRoot = join(dir, 'cgroup');
    for (const d of [this.logs, this.decoyDir, this.hostPath, this.kubelet, this.profiles]) mkdirSync(d, { recursive: true });
    writeFileSync(this.decoyFile, this.decoyText);
    // Symlinks out, where fakecri creates log files.
    mkdirSync(join(this.logs, 'pod-a', 'c'), { recursive: true });
    symlinkSync(this.decoyFile, join(this.logs, 'pod-a', 'c', '0.log'));
    writeFileSync(join(this.logs, 'not-a-dir'), '');
    // Seccomp profiles of every sort.
    writeFileSync(join(this.profiles, 'ok.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] }));
    writeFileSync(join(this.profiles, 'bad.json'), '{"defaultAction": 42, "syscalls": [[[');
    writeFileSync(join(this.profiles, 'big.json'), Buffer.alloc(2 * 2 ** 20, 0x20));
    mkdirSync(join(this.profiles, 'dir'));
    execFileSync('mkfifo', [join(this.profiles, 'fifo')]);
    symlinkSync(join(this.profiles, 'fifo'), join(this.profiles, 'link-to-fifo'));
    // Two fake cgroup v1 hierarchies, for the crio personality.
    for (const c of ['cpu', 'memory']) {
      mkdirSync(join(this.cgroupRoot, c), { recursive: true });
      writeFileSync(join(this.cgroupRoot, c, 'cgroup.procs'), '');
    }
  }

  // The kubelet's emptyDir for a pod's volume, made as the kubelet makes it.
  emptyDir(uid: string, name = 'cache'): string {
    const d = join(this.kubelet, 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  // A pod's log directory. Some have symlinks planted inside, where
  // fakecri will want to create a container's directory or log file.
  logDirectory(rng: Rng, uid: string): string {
    const own = join(this.logs, uid);
    if (rng.chance(0.3)) {
      mkdirSync(join(own, 'app'), { recursive: true });
      for (const [link, target] of [[join(own, 'c'), this.decoyDir], [join(own, 'app', '0.log'), this.decoyFile]]) {
        try {
          symlinkSync(target, link);
        } catch {
          // Planted already.
        }
      }
    }
    return rng.pick([own, own, own, join(this.logs, 'pod-a'), join(this.logs, 'not-a-dir'), `${own}/../../decoy`, `${own}/./x`, '', 'relative/logs', '/proc/1/fakecri-logs', '/dev/null']);
  }

  logPath(rng: Rng, name: string): string {
    return rng.pick([`${name}/0.log`, `${name}/0.log`, `${name}/1.log`, 'c/0.log', '../escape.log', '/etc/abs.log', 'a/../../b.log', '', `${name}/`, 'x'.repeat(300)]);
  }

  hostPathFor(rng: Rng, uid: string): string {
    return rng.pick([this.emptyDir(uid), this.emptyDir(uid), this.emptyDir('someone-else'), this.hostPath, `${this.kubelet}/pods/${uid}/volumes/kubernetes.io~empty-dir/../../../../host/data`, this.decoyDir]);
  }

  seccompRef(rng: Rng): string {
    return rng.pick(['ok.json', 'bad.json', 'big.json', 'dir', 'fifo', 'link-to-fifo', 'missing.json'].map((f) => join(this.profiles, f)).concat(['/dev/zero', '/dev/null', '', 'relative.json']));
  }

  cgroupParent(rng: Rng, uid: string): string {
    return rng.pick([`/kubepods/besteffort/pod${uid}`, `/kubepods/besteffort/pod${uid}`, '', '/', '../..', '/kubepods/../../escape', 'kubepods.slice', `kubepods-pod${uid}.slice`, '/a\u0000b']);
  }

  // What was written where it should not have been.
  breaches(): string[] {
    const out: string[] = [];
    if (readFileSync(this.decoyFile, 'utf8') !== this.decoyText) out.push(`${this.decoyFile} was changed`);
    const inDecoy = readdirSync(this.decoyDir);
    if (inDecoy.length) out.push(`${this.decoyDir} holds ${inDecoy.join(', ')}`);
    const inHost = readdirSync(this.hostPath);
    if (inHost.length) out.push(`hostPath ${this.hostPath} holds ${inHost.join(', ')}`);
    const other = join(this.kubelet, 'pods', 'someone-else', 'volumes', 'kubernetes.io~empty-dir', 'cache');
    try {
      const inOther = readdirSync(other);
      if (inOther.length) out.push(`another pod's emptyDir holds ${inOther.join(', ')}`);
    } catch {
      // Never made.
    }
    return out;
  }
}
