import type { ContainerFs } from '../../rootfs/types';
import { readSmall } from './read-small';

// The container's users and groups, from its /etc/passwd and /etc/group.

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function passwd(fs: ContainerFs): PasswdEntry[] {
  return readSmall(fs, '/etc/passwd')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3]))
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '', shell: f[6] ?? '' }));
}

export function groups(fs: ContainerFs): GroupEntry[] {
  return readSmall(fs, '/etc/group')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]))
    .map((f) => ({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

// Name lookups with their caches for one applet run (ls -l, ps, find).
export class Names {
  private users?: PasswdEntry[];
  private grps?: GroupEntry[];

  constructor(private readonly fs: ContainerFs) {}

  user(uid: number): string | undefined {
    return (this.users ??= passwd(this.fs)).find((u) => u.uid === uid)?.name;
  }

  group(gid: number): string | undefined {
    return (this.grps ??= groups(this.fs)).find((g) => g.gid === gid)?.name;
  }

  userByName(name: string): PasswdEntry | undefined {
    return (this.users ??= passwd(this.fs)).find((u) => u.name === name);
  }

  groupByName(name: string): GroupEntry | undefined {
    return (this.grps ??= groups(this.fs)).find((g) => g.name === name);
  }

  allGroups(): GroupEntry[] {
    return (this.grps ??= groups(this.fs));
  }
}
