import { realpathSync } from 'node:fs';
import type { Container } from '../../store/container';
import type { Sandbox } from '../../store/sandbox';
import type { Backend } from './backend';
import { Bind } from './bind';
import { type CgroupContext, type ResourcesView, cgroupRoot, sysRoot } from './cgroup';
import { RandomSource } from './devices';
import { etcHostname, etcHosts, etcResolvConf } from './etc-files';
import { HostDir, hostError } from './host-dir';
import { hostMountOf } from './host-mounts';
import { populateDev, writeFile } from './image-root';
import type { WritableLayer } from './layer';
import { MemTree } from './memory-tree';
import { Overlay, type UpperLayer } from './overlay';
import { type ProcContext, type ProcSource, procRoot } from './proc';
import { type SecurityView, privileges } from './security';
import { CapacitySpace } from './space';
import { SynthFs } from './synthetic';
import type { Caller, ContainerFs, MountEntry, StatFs } from './types';
import { type FsSpace, View } from './view';

const MiB = 2 ** 20;
// containerd's defaultShmSize, and runc's /dev tmpfs.
const SHM_BYTES = 64 * MiB;
const DEV_BYTES = 64 * MiB;
const TMPFS_INODES = 1 << 20;

// Device numbers (st_dev) of the container's filesystems.
const DEV = { overlay: 0x30, proc: 0x05, sysfs: 0x16, cgroup: 0x1a, dev: 0x31, devpts: 0x33, mqueue: 0x19, shm: 0x32, etc: 0x34 };

// What one container's files come from, besides its record.
export interface ContainerSources {
  record(): Container;
  sandbox(): Sandbox | undefined;
  lower(): MemTree; // the image's files
  layer(): WritableLayer;
  pod(): PodFiles;
  procs(): ProcSource | undefined;
  stats(): { memoryBytes: number; cpuUsageUsec: number } | undefined;
  // Where containerd would keep the sandbox's files (for /proc/mounts).
  stateMount(): string;
  now(): number;
}

// /dev as runc makes it, the same for every container: kept once.
let devTree: MemTree | undefined;
export function sharedDevTree(): MemTree {
  if (!devTree) {
    devTree = new MemTree({ dev: DEV.dev, readonly: true });
    populateDev(devTree);
    const root = devTree.root();
    devTree.create(root, 'mqueue', { type: 'dir', mode: 0o1777, uid: 0, gid: 0 });
    for (const [name, target] of [
      ['fd', '/proc/self/fd'],
      ['stdin', '/proc/self/fd/0'],
      ['stdout', '/proc/self/fd/1'],
      ['stderr', '/proc/self/fd/2'],
      ['core', '/proc/kcore'],
      ['ptmx', 'pts/ptmx'],
    ]) {
      devTree.create(root, name, { type: 'symlink', mode: 0o777, uid: 0, gid: 0, target });
    }
    devTree.create(devTree.lookup(root, 'pts')!, 'ptmx', { type: 'chardev', mode: 0o666, uid: 0, gid: 0, rdev: (5 << 8) | 2 });
  }
  return devTree;
}

// A sandbox's own files, shared by its containers: /dev/shm, and the
// /etc/hostname, /etc/hosts and /etc/resolv.conf containerd writes for it.
export class PodFiles {
  private etc?: MemTree;
  private shmTree?: MemTree;

  constructor(private readonly sandbox: () => Sandbox | undefined) {}

  etcFile(name: 'hostname' | 'hosts' | 'resolv.conf'): Backend {
    if (!this.etc) {
      const s = this.sandbox();
      this.etc = new MemTree({ dev: DEV.etc });
      writeFile(this.etc, '/hostname', etcHostname(s));
      writeFile(this.etc, '/hosts', etcHosts());
      writeFile(this.etc, '/resolv.conf', etcResolvConf(s));
    }
    return this.etc;
  }

  etcNode(name: string) {
    return this.etc!.lookup(this.etc!.root(), name)!;
  }

  shm(): MemTree {
    if (!this.shmTree) {
      this.shmTree = new MemTree({ dev: DEV.shm, space: new CapacitySpace(SHM_BYTES, TMPFS_INODES) });
      this.shmTree.root().mode = 0o1777;
    }
    return this.shmTree;
  }
}

// A tmpfs upper layer made on the first write (a container's /dev).
class TmpfsUpper implements UpperLayer {
  private tree?: MemTree;
  private readonly space = new CapacitySpace(DEV_BYTES, TMPFS_INODES);

  constructor(private readonly dev: number) {}

  backend(create: boolean): Backend | undefined {
    if (!this.tree && create) this.tree = new MemTree({ dev: this.dev, space: this.space, firstIno: 1 << 24 });
    return this.tree;
  }

  statfs(): StatFs {
    return this.space.statfs();
  }
}

interface Slot {
  entry(): MountEntry;
  make(): Backend;
  backend?: Backend;
}

interface ConfigView {
  linux?: {
    security_context?: (SecurityView & { readonly_rootfs?: boolean }) | null;
  } | null;
}

interface CriMount {
  container_path?: string;
  host_path?: string;
  readonly?: boolean;
  propagation?: string;
}

const PROPAGATION: Record<string, string> = {
  PROPAGATION_PRIVATE: 'rprivate',
  PROPAGATION_HOST_TO_CONTAINER: 'rslave',
  PROPAGATION_BIDIRECTIONAL: 'rshared',
};

const normalise = (p: string): string => `/${p.split('/').filter((s) => s && s !== '.').join('/')}`;

function hashSeed(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0 || 1;
}

// One container's files: the image under its writable layer, and the mounts
// containerd and the kubelet give it. Built lazily: a container whose
// program never touches a file costs this object and nothing more.
export class ContainerRootfs implements FsSpace {
  private overlay?: Overlay;
  private table?: Map<string, Slot>;
  private randomSource?: RandomSource;

  constructor(
    readonly id: string,
    private readonly src: ContainerSources,
  ) {}

  // The container's files as the process `caller` sees them.
  view(caller: Caller): ContainerFs {
    return new View(this, caller);
  }

  root(): Backend {
    if (!this.overlay) {
      const sc = (this.src.record().config as ConfigView | undefined)?.linux?.security_context;
      this.overlay = new Overlay(this.src.lower(), this.src.layer(), DEV.overlay, Boolean(sc?.readonly_rootfs));
    }
    return this.overlay;
  }

  mountAt(path: string): Backend | undefined {
    const slot = this.slots().get(path);
    if (!slot) return undefined;
    return (slot.backend ??= slot.make());
  }

  mountsUnder(path: string): string[] {
    const names: string[] = [];
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const target of this.slots().keys()) {
      if (target.startsWith(prefix) && !target.slice(prefix.length).includes('/')) names.push(target.slice(prefix.length));
    }
    return names;
  }

  mounts(): MountEntry[] {
    const sc = (this.src.record().config as ConfigView | undefined)?.linux?.security_context;
    const root: MountEntry = {
      source: 'overlay',
      target: '/',
      type: 'overlay',
      options: [sc?.readonly_rootfs ? 'ro' : 'rw', 'relatime', `upperdir=${this.src.stateMount()}/fakecri/containers/${this.id}/diff`],
    };
    return [root, ...[...this.slots().values()].map((s) => s.entry())];
  }

  random(): RandomSource {
    return (this.randomSource ??= new RandomSource(hashSeed(this.id)));
  }

  // The mount table, in the order runc mounts it: the OCI defaults,
  // containerd's sandbox files, then the CRI mounts, shallowest first.
  private slots(): Map<string, Slot> {
    if (this.table) return this.table;
    const record = this.src.record();
    const sc = (record.config as ConfigView | undefined)?.linux?.security_context;
    const ro = Boolean(sc?.readonly_rootfs);
    const priv = Boolean(sc?.privileged);
    const table = new Map<string, Slot>();
    const fixed = (source: string, target: string, type: string, options: string, make: () => Backend) =>
      table.set(target, { entry: () => ({ source, target, type, options: options.split(',') }), make });
    const dev = sharedDevTree();
    const devNode = (name: string) => dev.lookup(dev.root(), name)!;
    fixed('proc', '/proc', 'proc', 'rw,nosuid,nodev,noexec,relatime', () => new SynthFs(procRoot(this.procContext()), DEV.proc, 'proc'));
    fixed('tmpfs', '/dev', 'tmpfs', 'rw,nosuid,size=65536k,mode=755', () => new Overlay(dev, new TmpfsUpper(DEV.dev), DEV.dev, false));
    fixed('devpts', '/dev/pts', 'devpts', 'rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=666', () => new Bind(dev, devNode('pts'), true, 'devpts'));
    fixed('mqueue', '/dev/mqueue', 'mqueue', 'rw,nosuid,nodev,noexec,relatime', () => new Bind(dev, devNode('mqueue'), true, 'mqueue'));
    fixed('sysfs', '/sys', 'sysfs', 'ro,nosuid,nodev,noexec,relatime', () => new SynthFs(sysRoot(), DEV.sysfs, 'sysfs'));
    fixed('cgroup', '/sys/fs/cgroup', 'cgroup2', `${priv ? 'rw' : 'ro'},nosuid,nodev,noexec,relatime`, () => new SynthFs(cgroupRoot(this.cgroupContext()), DEV.cgroup, 'cgroup2'));
    const state = () => hostMountOf(this.src.stateMount());
    for (const name of ['hostname', 'hosts', 'resolv.conf'] as const) {
      table.set(`/etc/${name}`, {
        entry: () => ({ ...state(), target: `/etc/${name}`, options: [ro ? 'ro' : 'rw', 'relatime'] }),
        make: () => {
          const pod = this.src.pod();
          return new Bind(pod.etcFile(name), pod.etcNode(name), ro);
        },
      });
    }
    fixed('shm', '/dev/shm', 'tmpfs', 'rw,nosuid,nodev,noexec,relatime,size=65536k', () => {
      const shm = this.src.pod().shm();
      return new Bind(shm, shm.root(), false);
    });
    const cri = ((record.mounts ?? []) as CriMount[])
      .filter((m) => m.container_path && m.host_path)
      .map((m) => ({ ...m, target: normalise(m.container_path!) }))
      .sort((a, b) => a.target.split('/').length - b.target.split('/').length);
    for (const m of cri) {
      // A CRI mount replaces what containerd would have put there.
      table.delete(m.target);
      const options = [m.readonly ? 'ro' : 'rw', 'relatime', PROPAGATION[m.propagation ?? ''] ?? 'rprivate'];
      table.set(m.target, {
        entry: () => ({ ...hostMountOf(m.host_path!), target: m.target, options }),
        make: () => {
          let real: string;
          try {
            real = realpathSync(m.host_path!);
          } catch (err) {
            throw hostError(err, m.target);
          }
          return new HostDir(real, Boolean(m.readonly));
        },
      });
    }
    this.table = table;
    return table;
  }

  private procContext(): ProcContext {
    const sandboxConfig = () => (this.src.sandbox()?.config ?? {}) as { linux?: { sysctls?: Record<string, string> } | null };
    return {
      procs: () => this.src.procs(),
      privileges: () => {
        const r = this.src.record();
        return privileges((r.config as ConfigView | undefined)?.linux?.security_context, Boolean(r.seccomp?.spec));
      },
      mounts: () => this.mounts(),
      sysctls: () => sandboxConfig().linux?.sysctls ?? {},
      hostname: () => this.src.sandbox()?.hostname ?? '',
    };
  }

  private cgroupContext(): CgroupContext {
    return {
      resources: () => (this.src.record().resources ?? {}) as ResourcesView,
      pids: () => this.src.procs()?.list().map((p) => p.pid) ?? [],
      memoryBytes: () => this.src.stats()?.memoryBytes ?? 0,
      cpuUsageUsec: () => this.src.stats()?.cpuUsageUsec ?? 0,
    };
  }
}
