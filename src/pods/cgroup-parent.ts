import { posix } from 'node:path';

// What CRI-O accepts as a sandbox's cgroup_parent (server/sandbox_run_linux.go,
// internal/config/cgmgr): a slice with the systemd manager, anything but a
// slice with cgroupfs; and, for fakecri, never a ".." that would climb out
// of the cgroup root. undefined: fine; else why not.
export function cgroupParentProblem(parent: string, driver: 'cgroupfs' | 'systemd', crio: boolean): string | undefined {
  if (parent === '') return undefined;
  if (parent.includes('\0')) return 'contains a NUL byte';
  if (parent.split('/').includes('..')) return 'contains "..": a cgroup parent cannot climb out of the cgroup root';
  if (!crio) return undefined;
  const base = posix.basename(parent);
  if (driver === 'systemd' && (parent.length <= 6 || !base.endsWith('.slice'))) {
    return `cri-o configured with systemd cgroup manager, but did not receive slice as parent: ${parent}`;
  }
  if (driver === 'cgroupfs' && base.endsWith('.slice')) return `cri-o configured with cgroupfs cgroup manager, but received systemd slice as parent: ${parent}`;
  return undefined;
}
