import { cpus } from 'node:os';
import { type SynthDir, dir, file } from './synthetic';

// The container's cgroup v2 directory as it sees it at /sys/fs/cgroup (a
// private cgroup namespace, as containerd gives on a cgroup v2 host): the
// limits runc wrote from the CRI resources.
export interface ResourcesView {
  cpu_period?: string | number;
  cpu_quota?: string | number;
  cpu_shares?: string | number;
  memory_limit_in_bytes?: string | number;
  memory_swap_limit_in_bytes?: string | number;
  cpuset_cpus?: string;
  cpuset_mems?: string;
  hugepage_limits?: { page_size?: string; limit?: string | number }[];
  unified?: Record<string, string>;
}

export interface CgroupContext {
  resources(): ResourcesView;
  // The pod cgroup's resources (the parent's), for the *.effective files.
  pod?(): ResourcesView;
  pids(): number[];
  memoryBytes(): number;
  cpuUsageUsec(): number;
}

const num = (v: string | number | undefined): number => Number(v ?? 0) || 0;

// LONG_MAX rounded down to a 4 KiB page: the memory controller's "max".
const LONG_MAX_PAGES = 2 ** 63 - 4096;

// runc's ConvertCPUSharesToCgroupV2Value.
export const cpuWeight = (shares: number): number => (shares === 0 ? 100 : 1 + Math.floor(((shares - 2) * 9999) / 262142));

// With a private cgroup namespace the container sees only its own cgroup;
// the pod cgroup above it is hidden. Its own files show its own limits ("max"
// where it has none, whatever binds the pod: upstream's resize e2e checks
// exactly that); only the *.effective files follow the parent, as the kernel
// computes them.
export function cgroupRoot(ctx: CgroupContext): SynthDir {
  const files = (): Record<string, () => string> => {
    const r = ctx.resources();
    const pod = ctx.pod?.() ?? {};
    const quota = num(r.cpu_quota);
    const period = num(r.cpu_period) || 100000;
    const mem = num(r.memory_limit_in_bytes);
    const swap = num(r.memory_swap_limit_in_bytes);
    const n = cpus().length;
    const all = n > 1 ? `0-${n - 1}` : '0';
    const f: Record<string, () => string> = {
      'cgroup.controllers': () => 'cpuset cpu io memory hugetlb pids rdma misc',
      'cgroup.subtree_control': () => '',
      'cgroup.type': () => 'domain',
      'cgroup.procs': () => ctx.pids().join('\n'),
      'cgroup.threads': () => ctx.pids().join('\n'),
      'cgroup.events': () => 'populated 1\nfrozen 0',
      'cgroup.freeze': () => '0',
      'cgroup.max.depth': () => 'max',
      'cgroup.max.descendants': () => 'max',
      'cpu.max': () => `${quota > 0 ? quota : 'max'} ${period}`,
      'cpu.weight': () => String(cpuWeight(num(r.cpu_shares))),
      'cpu.stat': () => {
        const u = Math.round(ctx.cpuUsageUsec());
        return `usage_usec ${u}\nuser_usec ${u}\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0`;
      },
      'cpuset.cpus': () => r.cpuset_cpus ?? '',
      'cpuset.mems': () => r.cpuset_mems ?? '',
      'cpuset.cpus.effective': () => r.cpuset_cpus || pod.cpuset_cpus || all,
      'cpuset.mems.effective': () => r.cpuset_mems || pod.cpuset_mems || '0',
      // The kernel reads back "max" for a limit of (about) LONG_MAX, which is
      // how the kubelet lifts one in a resize.
      'memory.max': () => (mem > 0 && mem < LONG_MAX_PAGES ? String(mem) : 'max'),
      'memory.high': () => 'max',
      'memory.low': () => '0',
      'memory.min': () => '0',
      'memory.current': () => String(Math.round(ctx.memoryBytes())),
      'memory.peak': () => String(Math.round(ctx.memoryBytes())),
      'memory.swap.max': () => (mem > 0 && swap > 0 ? String(Math.max(0, swap - mem)) : swap < 0 || !mem ? 'max' : '0'),
      'memory.swap.current': () => '0',
      'memory.oom.group': () => '0',
      'memory.events': () => 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0',
      'memory.stat': () => `anon ${Math.round(ctx.memoryBytes())}\nfile 0\nkernel 0\nshmem 0\nfile_mapped 0\nfile_dirty 0\nfile_writeback 0`,
      'io.max': () => '',
      'io.weight': () => 'default 100',
      'io.stat': () => '',
      'pids.max': () => 'max',
      'pids.current': () => String(ctx.pids().length),
    };
    for (const h of r.hugepage_limits ?? []) {
      if (h.page_size) f[`hugetlb.${h.page_size}.max`] = () => (num(h.limit) > 0 ? String(num(h.limit)) : 'max');
    }
    // The CRI's unified map is written as is, last.
    for (const [k, v] of Object.entries(r.unified ?? {})) f[k] = () => v;
    return f;
  };
  const writable = /^(cgroup\.(procs|threads|subtree_control|freeze|max\.)|cpu\.(max|weight)|cpuset\.(cpus|mems)$|memory\.(max|high|low|min|swap\.max|oom\.group)|io\.(max|weight)|pids\.max|hugetlb\..*\.max)/;
  return {
    type: 'dir',
    mode: 0o755,
    list: () => Object.keys(files()),
    get: (name) => {
      const f = files()[name];
      return f && file(() => `${f()}\n`, { mode: writable.test(name) ? 0o644 : 0o444 });
    },
  };
}

// /sys as a container sees it: read-only sysfs with the cgroup mount point.
export function sysRoot(): SynthDir {
  return dir({ fs: dir({ cgroup: dir({}, { mode: 0o755 }) }, { mode: 0o755 }), kernel: dir({}), class: dir({}), devices: dir({}) }, { mode: 0o555 });
}
