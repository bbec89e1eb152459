import { realpathSync } from 'node:fs';
import type { Container } from '../../store/container';
import { type Sandbox, podResources } from '../../store/sandbox';
import type { Backend, Node } from './backend';
import { Bind } from './bind';
import { type CgroupContext, type ResourcesView, cgroupRoot, sysRoot } from './cgroup';
import { RandomSource } from './devices';
import { etcHostname, etcHosts, etcResolvConf } from './etc-files';
import { HostDir, hostError } from './host-dir';
import { hostMountOf } from './host-mounts';
import { populateDev, writeFile } from './image-root';
import type { WritableLayer } from './layer';
import { type PathRule, type PathRulesView, pathRules, ruleMount } from './masked-paths';
import { MemTree } from './memory-tree';
import { Overlay, type UpperLayer } from './overlay';
import { type IdMap, type ProcContext, type ProcSource, procRoot } from './proc';
import { type SecurityView, mayCall, privileges } from './security';
import { CapacitySpace } from './space';
import { SynthFs } from './synthetic';
import { type Caller, type ContainerFs, FsError, type MountEntry, type StatFs } from './types';
import { type FsSpace, View } from './view';

const MiB = 2 ** 20;
// containerd's defaultShmSize, and runc's /dev tmpfs.
const SHM_BYTES = 64 * MiB;
const DEV_BYTES = 64 * MiB;
const TMPFS_INODES = 1 << 20;

// Device numbers (st_dev) of the container's filesystems.
const DEV = { overlay: 0x30, proc: 0x05, sysfs: 0x16, cgroup: 0x1a, dev: 0x31, devpts: 0x33, mqueue: 0x19, shm: 0x32, etc: 0x34, masked: 0x35 };

// What one container's files come from, besides its record (the store).
export interface RootfsHost {
  record(id: string): Container;
  sandbox(id: string): Sandbox | undefined;
  lower(id: string): MemTree; // the image's files
  imageTree(imageId: string): MemTree; // an image's files, by image id
  layer(id: string): WritableLayer;
  pod(sandboxId: string): PodFiles;
  procs(id: string): ProcSource | undefined;
  stats(id: string): { memoryBytes: number; cpuUsageUsec: number } | undefined;
  // Where containerd would keep the sandbox's files (for /proc/mounts).
  stateMount(): string;
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

  etcMount(name: 'hostname' | 'hosts' | 'resolv.conf', readonly: boolean): Backend {
    if (!this.etc) {
      const s = this.sandbox();
      this.etc = new MemTree({ dev: DEV.etc });
      writeFile(this.etc, '/hostname', etcHostname(s));
      writeFile(this.etc, '/hosts', etcHosts());
      writeFile(this.etc, '/resolv.conf', etcResolvConf(s));
    }
    return new Bind(this.etc, this.etc.lookup(this.etc.root(), name)!, readonly);
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

interface ConfigView {
  linux?: {
    security_context?: (SecurityView & PathRulesView & { readonly_rootfs?: boolean }) | null;
  } | null;
}

interface CriMount {
  container_path?: string;
  host_path?: string;
  readonly?: boolean;
  propagation?: string;
  // An image volume (KEP-4639): image_ref is the image id CreateContainer
  // resolved it to.
  image?: { image?: string; image_ref?: string } | null;
  image_sub_path?: string;
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

const securityOf = (c: Container) => (c.config as ConfigView | undefined)?.linux?.security_context;

// The mounts every container has, in the order runc mounts them: the OCI
// defaults, then containerd's sandbox files. Shared: a container keeps only
// the backends of those it entered.
interface StaticMount {
  target: string;
  entry(c: ContainerRootfs): MountEntry;
  make(c: ContainerRootfs): Backend;
}

const fixed = (source: string, target: string, type: string, options: string | ((c: ContainerRootfs) => string), make: (c: ContainerRootfs) => Backend): StaticMount => ({
  target,
  entry: (c) => ({ source, target, type, options: (typeof options === 'string' ? options : options(c)).split(',') }),
  make,
});
const devNode = (name: string) => sharedDevTree().lookup(sharedDevTree().root(), name)!;
const etcFile = (name: 'hostname' | 'hosts' | 'resolv.conf'): StaticMount => ({
  target: `/etc/${name}`,
  entry: (c) => ({ ...hostMountOf(c.host.stateMount()), target: `/etc/${name}`, options: [c.readonlyRoot ? 'ro' : 'rw', 'relatime'] }),
  make: (c) => c.host.pod(c.record.sandboxId).etcMount(name, c.readonlyRoot),
});

const STATIC: StaticMount[] = [
  fixed('proc', '/proc', 'proc', 'rw,nosuid,nodev,noexec,relatime', (c) => new SynthFs(procRoot(c.procContext()), DEV.proc, 'proc')),
  fixed('tmpfs', '/dev', 'tmpfs', 'rw,nosuid,size=65536k,mode=755', () => new Overlay(sharedDevTree(), new TmpfsUpper(DEV.dev), DEV.dev, false)),
  fixed('devpts', '/dev/pts', 'devpts', 'rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=666', () => new Bind(sharedDevTree(), devNode('pts'), true, 'devpts')),
  fixed('mqueue', '/dev/mqueue', 'mqueue', 'rw,nosuid,nodev,noexec,relatime', () => new Bind(sharedDevTree(), devNode('mqueue'), true, 'mqueue')),
  fixed('sysfs', '/sys', 'sysfs', 'ro,nosuid,nodev,noexec,relatime', () => new SynthFs(sysRoot(), DEV.sysfs, 'sysfs')),
  fixed('cgroup', '/sys/fs/cgroup', 'cgroup2', (c) => `${securityOf(c.record)?.privileged ? 'rw' : 'ro'},nosuid,nodev,noexec,relatime`, (c) => new SynthFs(cgroupRoot(c.cgroupContext()), DEV.cgroup, 'cgroup2')),
  etcFile('hostname'),
  etcFile('hosts'),
  etcFile('resolv.conf'),
  fixed('shm', '/dev/shm', 'tmpfs', 'rw,nosuid,nodev,noexec,relatime,size=65536k', (c) => {
    const shm = c.host.pod(c.record.sandboxId).shm();
    return new Bind(shm, shm.root(), false);
  }),
];
const STATIC_AT = new Map(STATIC.map((m) => [m.target, m]));

interface CriSlot {
  target: string;
  mount: CriMount;
}
const NO_MOUNTS: CriSlot[] = [];

const parentOf = (p: string): string => p.slice(0, p.lastIndexOf('/')) || '/';
const baseOf = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

// One container's files: the image under its writable layer, and the mounts
// containerd and the kubelet give it. Built lazily: a container whose
// program never touches a file costs this object and nothing more; one that
// does keeps its overlay and the backends of the mounts it entered.
export class ContainerRootfs implements FsSpace {
  private overlay?: Overlay;
  private mounted?: Map<string, Backend>;
  private cri?: CriSlot[];
  private rules?: ReadonlyMap<string, PathRule>;
  private mountpointsMade = false;
  private randomSource?: RandomSource;

  constructor(
    readonly id: string,
    readonly host: RootfsHost,
  ) {}

  get record(): Container {
    return this.host.record(this.id);
  }

  get readonlyRoot(): boolean {
    return Boolean(securityOf(this.record)?.readonly_rootfs);
  }

  // The container's files as the process `caller` sees them.
  view(caller: Caller): ContainerFs {
    if (!this.mountpointsMade) this.makeMountpoints();
    return new View(this, caller);
  }

  // As runc before it mounts: the directories leading to each CRI mount
  // that the image lacks (/var/run/secrets/kubernetes.io for the service
  // account token) are made in the writable layer, root's, mode 0755, even
  // under a read-only root (runc makes them before it remounts / read-only).
  // Not through symlinks or other mounts.
  private makeMountpoints(): void {
    this.mountpointsMade = true;
    const slots = this.criSlots();
    if (!slots.length) return;
    const b = new Overlay(this.host.lower(this.id), this.host.layer(this.id), DEV.overlay, false);
    for (const { target } of slots) {
      const names = target.split('/').filter(Boolean);
      let n = b.root();
      for (let i = 0; i < names.length - 1; i++) {
        if (this.mountBelowRules(`/${names.slice(0, i + 1).join('/')}`)) break;
        let next = b.lookup(n, names[i]);
        try {
          next ??= b.create(n, names[i], { type: 'dir', mode: 0o755, uid: 0, gid: 0 });
        } catch {
          break; // a full layer: the mount stays out of reach
        }
        if (b.attr(next).type !== 'dir') break;
        n = next;
      }
    }
  }

  root(): Backend {
    return (this.overlay ??= new Overlay(this.host.lower(this.id), this.host.layer(this.id), DEV.overlay, this.readonlyRoot));
  }

  mountAt(path: string): Backend | undefined {
    const rules = (this.rules ??= pathRules(securityOf(this.record), normalise));
    if (rules.size && rules.has(path)) return this.ruleMountAt(path, rules.get(path)!);
    return this.mountBelowRules(path);
  }

  private mountBelowRules(path: string): Backend | undefined {
    const cri = this.criSlots();
    const slot = cri.length ? cri.find((m) => m.target === path) : undefined;
    const fixedMount = slot ? undefined : STATIC_AT.get(path);
    if (!slot && !fixedMount) return undefined;
    let b = this.mounted?.get(path);
    if (!b) {
      b = slot ? (slot.mount.image ? this.imageMount(slot) : hostMount(slot)) : fixedMount!.make(this);
      (this.mounted ??= new Map()).set(path, b);
    }
    return b;
  }

  // A masked or read-only path, over what the path names without it; none
  // when the container has no such path.
  private ruleMountAt(path: string, rule: PathRule): Backend | undefined {
    const key = `${rule}:${path}`;
    let b = this.mounted?.get(key);
    if (b) return b;
    const beneath = this.beneath(path);
    if (!beneath) return this.mountBelowRules(path);
    const nul = () => ({ b: sharedDevTree() as Backend, n: devNode('null') });
    b = ruleMount(rule, beneath, nul, DEV.masked);
    (this.mounted ??= new Map()).set(key, b);
    return b;
  }

  // The node at `path` through the other mounts, without following links.
  private beneath(path: string): { b: Backend; n: Node } | undefined {
    const names = path.split('/').filter(Boolean);
    let b: Backend = this.root();
    let n: Node | undefined = b.root();
    for (let i = 0; i < names.length && n; i++) {
      const mounted = this.mountBelowRules(`/${names.slice(0, i + 1).join('/')}`);
      if (mounted) {
        b = mounted;
        n = mounted.root();
      } else {
        n = b.lookup(n, names[i]);
      }
    }
    return n ? { b, n } : undefined;
  }

  mountsUnder(path: string): string[] {
    const names = new Set<string>();
    for (const m of STATIC) if (parentOf(m.target) === path) names.add(baseOf(m.target));
    for (const m of this.criSlots()) if (parentOf(m.target) === path) names.add(baseOf(m.target));
    return [...names];
  }

  mounts(): MountEntry[] {
    const root: MountEntry = {
      source: 'overlay',
      target: '/',
      type: 'overlay',
      options: [this.readonlyRoot ? 'ro' : 'rw', 'relatime', `upperdir=${this.host.stateMount()}/fakecri/containers/${this.id}/diff`],
    };
    const cri = this.criSlots();
    const replaced = new Set(cri.map((m) => m.target));
    return [
      root,
      ...STATIC.filter((m) => !replaced.has(m.target)).map((m) => m.entry(this)),
      ...cri.map(({ target, mount }) =>
        mount.image
          ? // containerd mounts the image's layers read-only (an overlay) and binds that.
            { source: 'overlay', type: 'overlay', target, options: ['ro', 'relatime', PROPAGATION[mount.propagation ?? ''] ?? 'rprivate'] }
          : {
              ...hostMountOf(mount.host_path!),
              target,
              options: [mount.readonly ? 'ro' : 'rw', 'relatime', PROPAGATION[mount.propagation ?? ''] ?? 'rprivate'],
            },
      ),
    ];
  }

  random(): RandomSource {
    return (this.randomSource ??= new RandomSource(hashSeed(this.id)));
  }

  // The CRI mounts, shallowest first; one replaces what containerd would
  // have put at its path.
  private criSlots(): CriSlot[] {
    if (this.cri) return this.cri;
    const mounts = (this.record.mounts ?? []) as CriMount[];
    this.cri = mounts.length
      ? mounts
          .filter((m) => m.container_path && (m.host_path || m.image?.image_ref))
          .map((mount) => ({ target: normalise(mount.container_path!), mount }))
          .sort((a, b) => a.target.split('/').length - b.target.split('/').length)
      : NO_MOUNTS;
    return this.cri;
  }

  // An image volume: the image's files (or its image_sub_path), read-only
  // whatever the mount says, as containerd mounts them.
  private imageMount({ target, mount }: CriSlot): Backend {
    const tree = this.host.imageTree(mount.image!.image_ref!);
    const node = imageSubPath(tree, mount.image_sub_path ?? '');
    if (!node) throw new FsError('ENOENT', target);
    return new Bind(tree, node, true, 'overlay');
  }

  // See security.ts mayCall: sethostname and the like, for applets.
  mayCall(uid: number, cap: string | undefined, syscall: string): boolean {
    const r = this.record;
    return mayCall(privileges(securityOf(r), Boolean(r.seccomp?.spec)), uid, cap, syscall, r.seccomp?.spec);
  }

  procContext(): ProcContext {
    const sandboxConfig = () => (this.host.sandbox(this.record.sandboxId)?.config ?? {}) as { linux?: { sysctls?: Record<string, string> } | null };
    return {
      procs: () => this.host.procs(this.id),
      privileges: () => {
        const r = this.record;
        return privileges(securityOf(r), Boolean(r.seccomp?.spec));
      },
      mounts: () => this.mounts(),
      sysctls: () => sandboxConfig().linux?.sysctls ?? {},
      hostname: () => this.host.sandbox(this.record.sandboxId)?.hostname ?? '',
      idMaps: () => podIdMaps(this.host.sandbox(this.record.sandboxId)?.namespaceOptions),
      oomScoreAdj: () => Number((this.record.resources as ResourcesView & { oom_score_adj?: string | number } | null)?.oom_score_adj ?? 0) || 0,
    };
  }

  cgroupContext(): CgroupContext {
    return {
      resources: () => (this.record.resources ?? {}) as ResourcesView,
      pod: () => {
        const s = this.host.sandbox(this.record.sandboxId);
        return ((s && podResources(s).resources) ?? {}) as ResourcesView;
      },
      pids: () => this.host.procs(this.id)?.list().map((p) => p.pid) ?? [],
      memoryBytes: () => this.host.stats(this.id)?.memoryBytes ?? 0,
      cpuUsageUsec: () => this.host.stats(this.id)?.cpuUsageUsec ?? 0,
    };
  }
}

// The directory image_sub_path names in an image's tree (the root for "").
export function imageSubPath(tree: MemTree, subPath: string): ReturnType<MemTree['root']> | undefined {
  let node: ReturnType<MemTree['root']> | undefined = tree.root();
  for (const part of subPath.split('/')) {
    if (!part || part === '.') continue;
    node = node && tree.lookup(node, part);
  }
  return node;
}

// A CRI mount: the real host_path, resolved once as the kernel's bind does.
function hostMount({ target, mount }: CriSlot): Backend {
  let real: string;
  try {
    real = realpathSync(mount.host_path!);
  } catch (err) {
    throw hostError(err, target);
  }
  return new HostDir(real, Boolean(mount.readonly));
}

interface UsernsView {
  userns_options?: { mode?: string; uids?: IdMapping[]; gids?: IdMapping[] } | null;
}
interface IdMapping {
  host_id?: number;
  container_id?: number;
  length?: number;
}

// A pod in its own user namespace (userns_options mode POD) maps ids as the
// kubelet asked; absent fields are proto3 zeros.
function podIdMaps(options: unknown): { uids: IdMap[]; gids: IdMap[] } | undefined {
  const u = (options as UsernsView | null | undefined)?.userns_options;
  if (u?.mode !== 'POD') return undefined;
  const map = (m: IdMapping): IdMap => ({ containerId: m.container_id ?? 0, hostId: m.host_id ?? 0, length: m.length ?? 0 });
  return { uids: (u.uids ?? []).map(map), gids: (u.gids ?? []).map(map) };
}
