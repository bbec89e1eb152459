// The bounding set a container would run with: CRI-O's default_capabilities,
// plus what the container adds, less what it drops; all of them when
// privileged. A profile's includes/excludes.caps are checked against it.
export const DEFAULT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'SETGID', 'SETUID', 'SETPCAP', 'NET_BIND_SERVICE', 'KILL'];

export const ALL_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
];

const bare = (c: string): string => c.toUpperCase().replace(/^CAP_/, '');

export function boundingSet(add: readonly string[] = [], drop: readonly string[] = [], privileged = false): string[] {
  let caps = new Set(privileged ? ALL_CAPABILITIES : DEFAULT_CAPABILITIES);
  if (!privileged) {
    const adds = add.map(bare);
    if (adds.includes('ALL')) caps = new Set(ALL_CAPABILITIES);
    else for (const c of adds) caps.add(c);
    const drops = drop.map(bare);
    if (drops.includes('ALL')) caps = new Set(adds.filter((c) => c !== 'ALL'));
    else for (const c of drops) caps.delete(c);
  }
  return [...caps].map((c) => `CAP_${c}`);
}
