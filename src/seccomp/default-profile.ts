import type { Profile } from './profile';

// fakecri's RuntimeDefault: our own allowlist in the spirit of the container
// runtimes' defaults. Everything not listed fails with EPERM; namespace
// creation, mounts, tracing and kernel modules need their capability; and,
// as CRI-O does, clone may not create namespaces and clone3 gives ENOSYS
// (so libc falls back to clone) unless the container has CAP_SYS_ADMIN.

const FILES = [
  'access', 'chdir', 'chmod', 'chown', 'chown32', 'close', 'close_range', 'copy_file_range', 'creat', 'dup', 'dup2', 'dup3',
  'faccessat', 'faccessat2', 'fadvise64', 'fadvise64_64', 'fallocate', 'fchdir', 'fchmod', 'fchmodat', 'fchmodat2', 'fchown', 'fchown32',
  'fchownat', 'fcntl', 'fcntl64', 'fdatasync', 'fgetxattr', 'flistxattr', 'flock', 'fremovexattr', 'fsetxattr', 'fstat', 'fstat64',
  'fstatat64', 'fstatfs', 'fstatfs64', 'fsync', 'ftruncate', 'ftruncate64', 'getcwd', 'getdents', 'getdents64', 'getxattr', 'lchown',
  'lchown32', 'lgetxattr', 'link', 'linkat', 'listxattr', 'llistxattr', 'lremovexattr', 'lseek', 'lsetxattr', 'lstat', 'lstat64',
  'mkdir', 'mkdirat', 'mknod', 'mknodat', 'newfstatat', 'open', 'openat', 'openat2', 'pread64', 'preadv', 'preadv2', 'pwrite64',
  'pwritev', 'pwritev2', 'read', 'readahead', 'readlink', 'readlinkat', 'readv', 'removexattr', 'rename', 'renameat', 'renameat2',
  'rmdir', 'sendfile', 'sendfile64', 'setxattr', 'splice', 'stat', 'stat64', 'statfs', 'statfs64', 'statx', 'symlink', 'symlinkat',
  'sync', 'sync_file_range', 'syncfs', 'tee', 'truncate', 'truncate64', 'umask', 'unlink', 'unlinkat', 'utime', 'utimensat',
  'utimensat_time64', 'utimes', 'vmsplice', 'write', 'writev',
];
const MEMORY = [
  'brk', 'madvise', 'membarrier', 'memfd_create', 'mincore', 'mlock', 'mlock2', 'mlockall', 'mmap', 'mmap2', 'mprotect', 'mremap',
  'msync', 'munlock', 'munlockall', 'munmap', 'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'remap_file_pages',
];
const PROCESSES = [
  'arch_prctl', 'capget', 'capset', 'execve', 'execveat', 'exit', 'exit_group', 'fork', 'get_robust_list', 'get_thread_area',
  'getegid', 'getegid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getgroups', 'getgroups32', 'getitimer', 'getpgid', 'getpgrp',
  'getpid', 'getppid', 'getpriority', 'getresgid', 'getresgid32', 'getresuid', 'getresuid32', 'getrlimit', 'getrusage', 'getsid',
  'gettid', 'getuid', 'getuid32', 'ioprio_get', 'ioprio_set', 'kill', 'pidfd_getfd', 'pidfd_open', 'pidfd_send_signal', 'prctl',
  'prlimit64', 'rseq', 'sched_get_priority_max', 'sched_get_priority_min', 'sched_getaffinity', 'sched_getattr', 'sched_getparam',
  'sched_getscheduler', 'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'sched_setaffinity', 'sched_setattr',
  'sched_setparam', 'sched_setscheduler', 'sched_yield', 'set_robust_list', 'set_thread_area', 'set_tid_address', 'setfsgid',
  'setfsgid32', 'setfsuid', 'setfsuid32', 'setgid', 'setgid32', 'setgroups', 'setgroups32', 'setitimer', 'setpgid', 'setpriority',
  'setregid', 'setregid32', 'setresgid', 'setresgid32', 'setresuid', 'setresuid32', 'setreuid', 'setreuid32', 'setrlimit', 'setsid',
  'setuid', 'setuid32', 'tgkill', 'tkill', 'uname', 'vfork', 'wait4', 'waitid', 'waitpid',
];
const SIGNALS_AND_TIME = [
  'alarm', 'clock_adjtime', 'clock_adjtime64', 'clock_getres', 'clock_getres_time64', 'clock_gettime', 'clock_gettime64',
  'clock_nanosleep', 'clock_nanosleep_time64', 'futex', 'futex_requeue', 'futex_time64', 'futex_wait', 'futex_waitv', 'futex_wake',
  'getrandom', 'gettimeofday', 'nanosleep', 'pause', 'restart_syscall', 'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask',
  'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo',
  'sigaltstack', 'signal', 'signalfd', 'signalfd4', 'sigprocmask', 'sigreturn', 'time', 'timer_create', 'timer_delete',
  'timer_getoverrun', 'timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64', 'timerfd_create', 'timerfd_gettime',
  'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64', 'times',
];
const IO_AND_IPC = [
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait', 'epoll_wait_old',
  'eventfd', 'eventfd2', 'inotify_add_watch', 'inotify_init', 'inotify_init1', 'inotify_rm_watch', 'io_cancel', 'io_destroy',
  'io_getevents', 'io_pgetevents', 'io_pgetevents_time64', 'io_setup', 'io_submit', 'ioctl', 'ipc', 'mq_getsetattr', 'mq_notify',
  'mq_open', 'mq_timedreceive', 'mq_timedreceive_time64', 'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink', 'msgctl', 'msgget',
  'msgrcv', 'msgsnd', 'pipe', 'pipe2', 'poll', 'ppoll', 'ppoll_time64', 'pselect6', 'pselect6_time64', 'select', 'semctl', 'semget',
  'semop', 'semtimedop', 'semtimedop_time64', 'shmat', 'shmctl', 'shmdt', 'shmget', '_llseek', '_newselect',
];
const NETWORK = [
  'accept', 'accept4', 'bind', 'connect', 'getpeername', 'getsockname', 'getsockopt', 'listen', 'recv', 'recvfrom', 'recvmmsg',
  'recvmmsg_time64', 'recvmsg', 'send', 'sendmmsg', 'sendmsg', 'sendto', 'setsockopt', 'shutdown', 'socket', 'socketcall',
  'socketpair',
];

const CLONE_NEWNS = 0x00020000;
const CLONE_NEWCGROUP = 0x02000000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNET = 0x40000000;
const NAMESPACE_FLAGS = [CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP];

export const DEFAULT_PROFILE: Profile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
  ],
  syscalls: [
    { names: [...FILES, ...MEMORY, ...PROCESSES, ...SIGNALS_AND_TIME, ...IO_AND_IPC, ...NETWORK], action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }] },
    { names: ['modify_ldt'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32', 'x86'] } },
    { names: ['arm_fadvise64_64', 'arm_sync_file_range', 'breakpoint', 'cacheflush', 'set_tls'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm', 'arm64'] } },
    { names: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['s390', 's390x'] } },
    // Namespaces, mounts and the rest of the administrator's calls.
    {
      names: ['bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount', 'mount_setattr', 'move_mount', 'name_to_handle_at', 'open_tree', 'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare'],
      action: 'SCMP_ACT_ALLOW',
      includes: { caps: ['CAP_SYS_ADMIN'] },
    },
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: NAMESPACE_FLAGS.reduce((a, b) => a | b, 0) >>> 0, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] } },
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: NAMESPACE_FLAGS.reduce((a, b) => a | b, 0) >>> 0, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }], includes: { arches: ['s390', 's390x'] }, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['chroot'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_CHROOT'] } },
    { names: ['delete_module', 'finit_module', 'init_module'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_MODULE'] } },
    { names: ['acct'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_PACCT'] } },
    { names: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_PTRACE'] } },
    { names: ['iopl', 'ioperm'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_RAWIO'] } },
    { names: ['clock_settime', 'clock_settime64', 'settimeofday', 'stime'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_TIME'] } },
    { names: ['vhangup'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_TTY_CONFIG'] } },
    { names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_NICE'] } },
    { names: ['syslog'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYSLOG'] } },
    { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_BPF'] } },
    { names: ['perf_event_open'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_PERFMON'] } },
  ],
};
