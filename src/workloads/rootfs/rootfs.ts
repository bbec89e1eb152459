import type { Backend } from './backend';
import { RandomSource } from './devices';
import type { Caller, ContainerFs, MountEntry } from './types';
import { type FsSpace, View } from './view';

export interface Mounted {
  entry: MountEntry; // entry.target is the container path
  backend: Backend;
}

// One container's file namespace: a root backend and what is mounted on it.
// view() binds a process; views are cheap and hold no state of their own.
export class Rootfs implements FsSpace {
  private readonly table = new Map<string, Mounted>();
  private randomSource?: RandomSource;

  constructor(
    private readonly rootBackend: Backend,
    mounts: Mounted[] = [],
    private readonly seed = 1,
    private readonly rootEntry: MountEntry = { source: 'overlay', target: '/', type: 'overlay', options: ['rw'] },
  ) {
    for (const m of mounts) this.table.set(normalise(m.entry.target), m);
  }

  view(caller: Caller): ContainerFs {
    return new View(this, caller);
  }

  root(): Backend {
    return this.rootBackend;
  }

  mountAt(path: string): Backend | undefined {
    return this.table.get(path)?.backend;
  }

  mountsUnder(path: string): string[] {
    const names: string[] = [];
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const target of this.table.keys()) {
      if (target.startsWith(prefix) && !target.slice(prefix.length).includes('/')) names.push(target.slice(prefix.length));
    }
    return names;
  }

  mounts(): MountEntry[] {
    return [this.rootEntry, ...[...this.table.values()].map((m) => m.entry)];
  }

  random(): RandomSource {
    return (this.randomSource ??= new RandomSource(this.seed));
  }
}

const normalise = (p: string): string => {
  const parts = p.split('/').filter((s) => s && s !== '.');
  return `/${parts.join('/')}`;
};
