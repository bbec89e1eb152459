import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Real size-limited tmpfs mounts for the filesystem tests. Mounting needs
// root (CI and the dev machines have it); where it is impossible the tests
// that need it are skipped with this reason.
export const mountUnavailable: string | undefined = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'fakecri-mountcheck-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount tmpfs here (${(err as Error).message.split('\n')[0]}): run the tests as root`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

export interface Tmpfs {
  path: string;
  unmount(): void;
}

export function mountTmpfs(size: string, name = 'fs', inodes?: number): Tmpfs {
  const path = mkdtempSync(join(tmpdir(), `fakecri-${name}-`));
  mkdirSync(path, { recursive: true });
  const opts = [`size=${size}`, ...(inodes ? [`nr_inodes=${inodes}`] : [])].join(',');
  execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', path]);
  return {
    path,
    unmount() {
      execFileSync('umount', ['-l', path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

// What statfs says is used, as the kubelet computes it (capacity − available).
export function statfsUsed(path: string): number {
  const s = statfsSync(path);
  return (s.blocks - s.bavail) * s.bsize;
}

export function statfsInodesUsed(path: string): number {
  const s = statfsSync(path);
  return s.files - s.ffree;
}

export const allocated = (file: string): number => statSync(file).blocks * 512;
