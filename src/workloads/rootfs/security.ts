// What /proc/<pid>/status says of a container's privileges: capability sets
// as containerd builds them from the CRI security context, seccomp mode and
// no_new_privs.

const CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
] as const;

// containerd's default set (pkg/oci defaultUnixCaps), as Docker's.
export const DEFAULT_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];

const bit = (name: string): bigint => {
  const i = CAPS.indexOf(name.toUpperCase().replace(/^CAP_/, '') as (typeof CAPS)[number]);
  return i < 0 ? 0n : 1n << BigInt(i);
};
const maskOf = (names: Iterable<string>): bigint => {
  let m = 0n;
  for (const n of names) m |= bit(n);
  return m;
};
export const ALL_CAPS = (1n << BigInt(CAPS.length)) - 1n;

interface CapabilitiesView {
  add_capabilities?: string[];
  drop_capabilities?: string[];
  add_ambient_capabilities?: string[];
}

export interface SecurityView {
  privileged?: boolean;
  capabilities?: CapabilitiesView | null;
  no_new_privs?: boolean;
}

export interface Privileges {
  bounding: bigint;
  ambient: bigint;
  noNewPrivs: boolean;
  seccomp: 0 | 2;
}

// As containerd's WithCapabilities: "ALL" added, then "ALL" dropped, then
// the single names added, then dropped. Privileged: every capability.
export function privileges(sc: SecurityView | null | undefined, seccompFilter: boolean): Privileges {
  const c = sc?.capabilities ?? {};
  let caps = maskOf(DEFAULT_CAPS);
  if (sc?.privileged) caps = ALL_CAPS;
  else {
    const isAll = (n: string) => n.toUpperCase() === 'ALL';
    if ((c.add_capabilities ?? []).some(isAll)) caps = ALL_CAPS;
    if ((c.drop_capabilities ?? []).some(isAll)) caps = 0n;
    caps |= maskOf((c.add_capabilities ?? []).filter((n) => !isAll(n)));
    caps &= ~maskOf((c.drop_capabilities ?? []).filter((n) => !isAll(n)));
  }
  return {
    bounding: caps,
    ambient: maskOf(c.add_ambient_capabilities ?? []) & caps,
    noNewPrivs: Boolean(sc?.no_new_privs),
    seccomp: seccompFilter && !sc?.privileged ? 2 : 0,
  };
}

// runtime-spec linux.seccomp, as far as deciding one syscall goes.
interface SeccompView {
  defaultAction?: string;
  syscalls?: { names?: string[] | null; action?: string }[] | null;
}

const LETS_THROUGH = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG']);

// Whether a process of `uid` may make `syscall`: the capability the kernel
// wants for it (if any) in its effective set, and a seccomp profile (none
// when unconfined or privileged) that lets it through. Arguments are not
// looked at: a rule on one is taken as the rule.
export function mayCall(p: Privileges, uid: number, cap: string | undefined, syscall: string, profile: object | null | undefined): boolean {
  if (cap && (capSets(p, uid).eff & bit(cap)) === 0n) return false;
  if (p.seccomp === 0 || !profile) return true;
  const spec = profile as SeccompView;
  const rule = (spec.syscalls ?? []).find((r) => (r.names ?? []).includes(syscall));
  return LETS_THROUGH.has(rule?.action ?? spec.defaultAction ?? 'SCMP_ACT_ALLOW');
}

export const capHex = (m: bigint): string => m.toString(16).padStart(16, '0');

// The sets a process of `uid` has after execve: root keeps the bounding
// set; anyone else only the ambient capabilities.
export function capSets(p: Privileges, uid: number): { inh: bigint; prm: bigint; eff: bigint; bnd: bigint; amb: bigint } {
  const prm = uid === 0 ? p.bounding : p.ambient;
  return { inh: p.ambient, prm, eff: prm, bnd: p.bounding, amb: p.ambient };
}
