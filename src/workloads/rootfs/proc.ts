import { cpus, freemem, loadavg, release, totalmem, uptime } from 'node:os';
import type { Identity, ProcessInfo } from '../procs/types';
import { type Privileges, capHex, capSets } from './security';
import { type Synth, type SynthDir, dir, file, link } from './synthetic';
import type { MountEntry } from './types';

// The processes /proc shows: the container's process table, or anything
// shaped like it.
export interface ProcSource {
  list(): readonly ProcessInfo[];
  get(pid: number): (ProcessInfo & { identity?: Identity }) | undefined;
}

// What the container's /proc is made of.
export interface ProcContext {
  procs(): ProcSource | undefined;
  privileges(): Privileges;
  mounts(): MountEntry[];
  sysctls(): Record<string, string>;
  hostname(): string;
  // The container's oom_score_adj (runc gives every process of it the same).
  oomScoreAdj?(): number;
  // The pod's user namespace mappings; none: the host's, all ids as they are.
  idMaps?(): { uids: IdMap[]; gids: IdMap[] } | undefined;
}

export interface IdMap {
  containerId: number;
  hostId: number;
  length: number;
}

const HZ = 100;
const bootMs = () => Date.now() - uptime() * 1000;
const kb = (label: string, n: number): string => `${`${label}:`.padEnd(16)}${String(n).padStart(8)} kB`;
const comm = (p: ProcessInfo): string => (p.argv[0] ?? '').split('/').pop()!.slice(0, 15);
const STATE = { running: ['R', 'running'], sleeping: ['S', 'sleeping'], zombie: ['Z', 'zombie'] } as const;

export function procRoot(ctx: ProcContext): SynthDir {
  const fixed: Record<string, Synth | (() => Synth)> = {
    self: link((caller) => String(caller?.pid ?? 1)),
    'thread-self': link((caller) => `${caller?.pid ?? 1}/task/${caller?.pid ?? 1}`),
    mounts: link(() => 'self/mounts'),
    meminfo: file(meminfo),
    cpuinfo: file(cpuinfo),
    uptime: file(() => {
      const up = uptime();
      return `${up.toFixed(2)} ${(up * cpus().length * 0.9).toFixed(2)}\n`;
    }),
    loadavg: file(() => `${loadavg().map((l) => l.toFixed(2)).join(' ')} 1/${ctx.procs()?.list().length ?? 1} ${ctx.procs()?.list().at(-1)?.pid ?? 1}\n`),
    version: file(() => `Linux version ${release()} (fakecri) #1 SMP\n`),
    filesystems: file(() => 'nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tcgroup2\nnodev\toverlay\n\text4\n'),
    sys: () => sysDir(ctx),
  };
  const pidOf = (name: string) => (/^[1-9][0-9]*$/.test(name) ? Number(name) : undefined);
  return {
    type: 'dir',
    mode: 0o555,
    list: () => [...(ctx.procs()?.list().map((p) => String(p.pid)) ?? []), ...Object.keys(fixed)],
    get: (name) => {
      const pid = pidOf(name);
      if (pid !== undefined) {
        const p = ctx.procs()?.get(pid);
        return p && pidDir(ctx, p);
      }
      if (!Object.hasOwn(fixed, name)) return undefined;
      const e = fixed[name];
      return typeof e === 'function' ? e() : e;
    },
  };
}

function pidDir(ctx: ProcContext, p: ProcessInfo & { identity?: Identity }): SynthDir {
  const owner = { uid: p.uid, gid: p.gid };
  return dir(
    {
      status: file(() => status(ctx, p), owner),
      stat: file(() => stat(p), owner),
      cmdline: file(() => (p.argv.length ? `${p.argv.join('\0')}\0` : ''), owner),
      comm: file(() => `${comm(p)}\n`, owner),
      cgroup: file(() => '0::/\n', owner),
      oom_score_adj: file(() => `${ctx.oomScoreAdj?.() ?? 0}\n`, owner),
      mounts: file(() => procMounts(ctx.mounts()), owner),
      mountinfo: file(() => mountinfo(ctx.mounts()), owner),
      uid_map: file(() => idMapText(ctx.idMaps?.()?.uids), owner),
      gid_map: file(() => idMapText(ctx.idMaps?.()?.gids), owner),
      fd: dir({}, { ...owner, mode: 0o500 }),
      root: link(() => '/'),
      cwd: link(() => '/'),
    },
    { ...owner, mode: 0o555 },
  );
}

// As fs/proc/array.c writes it.
function status(ctx: ProcContext, p: ProcessInfo & { identity?: Identity }): string {
  const [stateChar, stateWord] = STATE[p.state];
  const groups = [...new Set([p.gid, ...(p.identity?.groups ?? [])])];
  const caps = capSets(ctx.privileges(), p.uid);
  const priv = ctx.privileges();
  const n = cpus().length;
  const vm = p.state === 'zombie' ? [] : [kb('VmPeak', 1580), kb('VmSize', 1580), kb('VmLck', 0), kb('VmPin', 0), kb('VmHWM', 4), kb('VmRSS', 4), kb('RssAnon', 4), kb('RssFile', 0), kb('RssShmem', 0), kb('VmData', 72), kb('VmStk', 132), kb('VmExe', 1000), kb('VmLib', 0), kb('VmPTE', 40), kb('VmSwap', 0), kb('HugetlbPages', 0)];
  return [
    `Name:\t${comm(p)}`,
    'Umask:\t0022',
    `State:\t${stateChar} (${stateWord})`,
    `Tgid:\t${p.pid}`,
    'Ngid:\t0',
    `Pid:\t${p.pid}`,
    `PPid:\t${p.ppid}`,
    'TracerPid:\t0',
    `Uid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}`,
    `Gid:\t${p.gid}\t${p.gid}\t${p.gid}\t${p.gid}`,
    'FDSize:\t64',
    `Groups:\t${groups.join(' ')}`,
    `NStgid:\t${p.pid}`,
    `NSpid:\t${p.pid}`,
    `NSpgid:\t${p.pid}`,
    'NSsid:\t1',
    ...vm,
    'CoreDumping:\t0',
    'THP_enabled:\t1',
    'Threads:\t1',
    'SigQ:\t0/63432',
    'SigPnd:\t0000000000000000',
    'ShdPnd:\t0000000000000000',
    'SigBlk:\t0000000000000000',
    'SigIgn:\t0000000000000000',
    'SigCgt:\t0000000000000000',
    `CapInh:\t${capHex(caps.inh)}`,
    `CapPrm:\t${capHex(caps.prm)}`,
    `CapEff:\t${capHex(caps.eff)}`,
    `CapBnd:\t${capHex(caps.bnd)}`,
    `CapAmb:\t${capHex(caps.amb)}`,
    `NoNewPrivs:\t${priv.noNewPrivs ? 1 : 0}`,
    `Seccomp:\t${priv.seccomp}`,
    `Seccomp_filters:\t${priv.seccomp ? 1 : 0}`,
    'Speculation_Store_Bypass:\tthread vulnerable',
    'SpeculationIndirectBranch:\tconditional enabled',
    `Cpus_allowed:\t${((1n << BigInt(n)) - 1n).toString(16)}`,
    `Cpus_allowed_list:\t${n > 1 ? `0-${n - 1}` : '0'}`,
    'Mems_allowed:\t00000001',
    'Mems_allowed_list:\t0',
    'voluntary_ctxt_switches:\t0',
    'nonvoluntary_ctxt_switches:\t0',
    '',
  ].join('\n');
}

// fs/proc/array.c do_task_stat: 52 fields.
function stat(p: ProcessInfo): string {
  const start = Math.max(0, Math.round(((p.startMs - bootMs()) / 1000) * HZ));
  const [stateChar] = STATE[p.state];
  const fields = [
    p.pid,
    `(${comm(p)})`,
    stateChar,
    p.ppid,
    1, // pgrp
    1, // session
    0, // tty_nr
    -1, // tpgid
    4194560, // flags
    0, 0, 0, 0, // minflt cminflt majflt cmajflt
    0, 0, 0, 0, // utime stime cutime cstime
    20, 0, 1, 0, // priority nice num_threads itrealvalue
    start,
    1617920, // vsize
    1, // rss (pages)
    '18446744073709551615',
  ];
  while (fields.length < 52) fields.push(0);
  return `${fields.join(' ')}\n`;
}

function meminfo(): string {
  const total = Math.floor(totalmem() / 1024);
  const free = Math.floor(freemem() / 1024);
  return `${[
    kb('MemTotal', total),
    kb('MemFree', free),
    kb('MemAvailable', free),
    kb('Buffers', 0),
    kb('Cached', 0),
    kb('SwapCached', 0),
    kb('Active', 0),
    kb('Inactive', 0),
    kb('SwapTotal', 0),
    kb('SwapFree', 0),
    kb('Dirty', 0),
    kb('Shmem', 0),
    kb('Slab', 0),
    kb('CommitLimit', total),
    kb('Committed_AS', total - free),
  ].join('\n')}\n`;
}

function cpuinfo(): string {
  const list = cpus();
  return list
    .map((c, i) => `processor\t: ${i}\nmodel name\t: ${c.model}\ncpu MHz\t\t: ${c.speed.toFixed(3)}\ncpu cores\t: ${list.length}\n\n`)
    .join('');
}

// /proc/sys from the pod's sysctls (namespaced ones, set by the runtime),
// and what the UTS namespace says.
function sysDir(ctx: ProcContext): SynthDir {
  const values: Record<string, string> = {
    'kernel.hostname': ctx.hostname(),
    'kernel.ostype': 'Linux',
    'kernel.osrelease': release(),
    ...ctx.sysctls(),
  };
  const root = new Map<string, unknown>();
  for (const [key, value] of Object.entries(values)) {
    const parts = key.replaceAll('/', '.').split('.');
    let m = root;
    for (const part of parts.slice(0, -1)) {
      let next = m.get(part);
      if (!(next instanceof Map)) m.set(part, (next = new Map()));
      m = next as Map<string, unknown>;
    }
    m.set(parts[parts.length - 1], value);
  }
  const build = (m: Map<string, unknown>): SynthDir =>
    dir(Object.fromEntries([...m].map(([k, v]) => [k, v instanceof Map ? () => build(v as Map<string, unknown>) : file(() => `${v}\n`, { mode: 0o644 })])));
  return build(root);
}

// The kernel's /proc/mounts: source, target, type, options, 0 0.
export function procMounts(entries: MountEntry[]): string {
  return entries
    .map((m) => `${escape(m.source)} ${escape(m.target)} ${m.type} ${m.options.filter((o) => !PROPAGATION.has(o)).join(',')} 0 0\n`)
    .join('');
}

const PROPAGATION = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);

// /proc/<pid>/mountinfo, where propagation shows (shared:N, master:N).
function mountinfo(entries: MountEntry[]): string {
  return entries
    .map((m, i) => {
      const prop = m.options.find((o) => PROPAGATION.has(o)) ?? 'private';
      const tag = prop.endsWith('shared') ? ` shared:${i + 1}` : prop.endsWith('slave') ? ` master:${i + 1}` : '';
      const opts = m.options.filter((o) => !PROPAGATION.has(o));
      const vfsOpts = opts.filter((o) => ['rw', 'ro', 'nosuid', 'nodev', 'noexec', 'relatime', 'noatime'].includes(o));
      const superOpts = opts.filter((o) => !vfsOpts.includes(o) || o === 'rw' || o === 'ro');
      return `${i + 100} ${i === 0 ? 1 : 100} 0:${i + 30} / ${escape(m.target)} ${vfsOpts.join(',')}${tag} - ${m.type} ${escape(m.source)} ${superOpts.join(',')}\n`;
    })
    .join('');
}

const escape = (s: string): string => s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

// As the kernel prints a user namespace's map: "%10u %10u %10u" per line.
// The initial namespace maps every id to itself.
function idMapText(maps: IdMap[] | undefined): string {
  const all = maps ?? [{ containerId: 0, hostId: 0, length: 4294967295 }];
  return all.map((m) => `${[m.containerId, m.hostId, m.length].map((n) => String(n).padStart(10)).join(' ')}\n`).join('');
}
