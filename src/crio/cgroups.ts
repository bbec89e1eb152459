import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { makeDirs } from '../domain/safe-files';
import { join, posix } from 'node:path';
import type { Logger } from 'pino';

// CRI-O's cgroups for running containers, so that cAdvisor's CRI-O handler
// finds them: <parent>/crio-<id> with the cgroupfs driver,
// <parent slice path>/crio-<id>.scope with systemd.
//
// An empty cgroup is not enough: the kubelet's cAdvisor stats provider drops a
// container whose latest sample has zero instantaneous CPU and zero RSS, as
// the uncleaned cgroup of a terminated container
// (cadvisor_stats_provider.go isContainerTerminated), so the pod is missing
// from /stats/summary and eviction cannot rank it by disk usage. So each
// cgroup holds one idle process: sh puts itself in every hierarchy and execs
// cat, whose first pages (about 100 KiB) are charged to the new memory
// cgroup. cat reads a pipe from fakecri, so it exits when fakecri does, even
// after SIGKILL; it is killed when the container stops.
export class CrioCgroups {
  readonly controllers: string[];
  readonly unavailable?: string;
  private readonly holders = new Map<string, ChildProcess>();

  constructor(
    private readonly root: string,
    private readonly driver: 'cgroupfs' | 'systemd',
    private readonly log: Logger,
  ) {
    const found: string[] = [];
    let why: string | undefined;
    try {
      if (existsSync(join(root, 'cgroup.controllers'))) why = `${root} is cgroup v2, where fakecri does not create cgroups yet`;
      else {
        for (const name of readdirSync(root)) {
          const dir = join(root, name);
          // One directory per v1 hierarchy; cpu,cpuacct style names are links.
          if (statSync(dir).isDirectory() && existsSync(join(dir, 'cgroup.procs'))) found.push(name);
        }
        if (found.length === 0) why = `no cgroup v1 hierarchies under ${root}`;
      }
    } catch (err) {
      why = `cannot read ${root}: ${(err as Error).message}`;
    }
    this.controllers = why ? [] : found;
    this.unavailable = why;
  }

  // Always under "/" of the hierarchy: a parent with ".." (refused at
  // RunPodSandbox, see checkCgroupParent) cannot climb out, as runc's
  // CleanPath makes sure for CRI-O.
  path(parent: string, id: string): string {
    if (this.driver === 'systemd') return posix.join('/', expandSlice(parent || 'system.slice'), `crio-${id}.scope`);
    return posix.join('/', parent || '/', `crio-${id}`);
  }

  // The directory of cgroup `rel` in hierarchy `controller`, or undefined if
  // it would not be inside that hierarchy.
  private dir(controller: string, rel: string): string | undefined {
    const top = join(this.root, controller);
    const dir = join(top, rel);
    return dir.startsWith(`${top}/`) && !rel.split('/').includes('..') ? dir : undefined;
  }

  create(parent: string, id: string): void {
    if (this.unavailable) return;
    const rel = this.path(parent, id);
    for (const c of this.controllers) {
      const dir = this.dir(c, rel);
      if (!dir) {
        this.log.warn({ controller: c, cgroup: rel }, 'refusing a cgroup outside the hierarchy');
        return;
      }
      try {
        makeDirs(dir);
      } catch (err) {
        this.log.warn({ controller: c, cgroup: rel, err: (err as Error).message }, 'cannot create cgroup');
      }
    }
    this.hold(rel);
  }

  remove(parent: string, id: string): void {
    if (this.unavailable) return;
    const rel = this.path(parent, id);
    const holder = this.holders.get(rel);
    this.holders.delete(rel);
    if (holder && holder.exitCode === null && holder.signalCode === null) {
      // rmdir is refused (EBUSY) while the holder is in the cgroup.
      holder.once('exit', () => this.rmdirs(rel, 20));
      holder.kill('SIGKILL');
      return;
    }
    this.rmdirs(rel, 0);
  }

  // Pid of the process holding a cgroup, if any.
  holderPid(parent: string, id: string): number | undefined {
    return this.holders.get(this.path(parent, id))?.pid;
  }

  // Ends the holders and leaves the cgroups, which come back with fakecri.
  release(): void {
    for (const h of this.holders.values()) h.kill('SIGKILL');
    this.holders.clear();
  }

  private hold(rel: string): void {
    if (this.holders.has(rel)) return;
    // Only a real cgroup filesystem makes cgroup.procs in a new directory.
    const procs = this.controllers.flatMap((c) => this.dir(c, rel) ?? []).map((d) => join(d, 'cgroup.procs')).filter((f) => existsSync(f));
    if (procs.length === 0) return;
    const child = spawn('/bin/sh', ['-c', 'for f in "$@"; do echo $$ > "$f"; done; exec cat', 'sh', ...procs], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.on('error', (err) => {
      this.log.warn({ cgroup: rel, err: err.message }, 'cannot start the process that keeps a crio cgroup alive for cAdvisor');
      if (this.holders.get(rel) === child) this.holders.delete(rel);
    });
    child.stdin?.on('error', () => {});
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.holders.set(rel, child);
  }

  private rmdirs(rel: string, retries: number): void {
    let busy = false;
    for (const c of this.controllers) {
      const dir = this.dir(c, rel);
      if (!dir) continue;
      try {
        rmdirSync(dir);
      } catch (err) {
        // Gone already, or never made; EBUSY while a dying holder leaves.
        if ((err as NodeJS.ErrnoException).code === 'EBUSY') busy = true;
      }
    }
    if (busy && retries > 0) setTimeout(() => this.rmdirs(rel, retries - 1), 50).unref();
    else if (busy) this.log.warn({ cgroup: rel }, 'cannot remove crio cgroup: busy');
  }
}

// systemd's slice naming: a-b-c.slice lives at /a.slice/a-b.slice/a-b-c.slice.
export function expandSlice(slice: string): string {
  if (!slice.endsWith('.slice')) return slice;
  const name = slice.slice(0, -'.slice'.length);
  if (name === '-' || name === '') return '/';
  const parts = name.split('-');
  let path = '';
  let prefix = '';
  for (const p of parts) {
    prefix = prefix ? `${prefix}-${p}` : p;
    path += `/${prefix}.slice`;
  }
  return path;
}

