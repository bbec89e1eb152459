import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

// CRI-O's cgroups for running containers, so that cAdvisor's CRI-O handler
// finds them: <parent>/crio-<id> with the cgroupfs driver,
// <parent slice path>/crio-<id>.scope with systemd. Empty cgroups: the kernel
// reports zero usage for them, which is what a process-less container uses.
export class CrioCgroups {
  readonly controllers: string[];
  readonly unavailable?: string;

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

  path(parent: string, id: string): string {
    if (this.driver === 'systemd') return join(expandSlice(parent || 'system.slice'), `crio-${id}.scope`);
    return join(parent || '/', `crio-${id}`);
  }

  create(parent: string, id: string): void {
    if (this.unavailable) return;
    const rel = this.path(parent, id);
    for (const c of this.controllers) {
      try {
        mkdirSync(join(this.root, c, rel), { recursive: true });
      } catch (err) {
        this.log.warn({ controller: c, cgroup: rel, err: (err as Error).message }, 'cannot create cgroup');
      }
    }
  }

  remove(parent: string, id: string): void {
    if (this.unavailable) return;
    const rel = this.path(parent, id);
    for (const c of this.controllers) {
      try {
        rmdirSync(join(this.root, c, rel));
      } catch {
        // Gone already, or never made.
      }
    }
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
