import { join, resolve } from 'node:path';
import type { Config, FilesystemConfig } from '../config/config';
import { invalidArgument } from '../domain/errors';
import type { RecordDir } from '../store/persist';
import type { Filesystem, ObjectSize } from './filesystem';
import { HostFilesystem } from './host-backend';
import { MemoryFilesystem } from './memory-backend';

// imagefs holds image layers, containerfs the containers' writable layers.
// They are one Filesystem object when they are one filesystem, so a byte is
// never counted twice.
export interface Filesystems {
  imagefs: Filesystem;
  containerfs: Filesystem;
  shared: boolean;
}

export type BallastSpec = { percent: number } | { bytes: number };

export const BALLAST_KEY = 'ballast';
export const layerKey = (digest: string): string => `layers/${digest.replace(':', '-')}`;
// A container's writable layer sits where CRI-O's overlay driver keeps it,
// <root>/containers/<id>/diff, which is where cAdvisor measures it: a
// directory tree its files are written in (src/workloads/rootfs).
export const writableLayerKey = (containerId: string): string => `containers/${containerId}/diff`;
export const containerDirKey = (containerId: string): string => `containers/${containerId}`;

export function openFilesystems(config: Config, stateDir: string): Filesystems {
  const open = (name: string, fs: FilesystemConfig): Filesystem => {
    const path = resolve(fs.path ?? join(stateDir, name));
    return fs.backend === 'host' ? new HostFilesystem(name, path) : new MemoryFilesystem(name, path, fs.capacity, fs.inodes);
  };
  const { imagefs: imageCfg, containerfs: containerCfg } = config.filesystems;
  const imagefs = open('imagefs', imageCfg);
  const sameAsImagefs = !containerCfg || (containerCfg.path !== undefined && resolve(containerCfg.path) === imagefs.mountpoint);
  if (sameAsImagefs && containerCfg && containerCfg.backend !== imageCfg.backend) {
    throw invalidArgument('filesystems.containerfs has the path of filesystems.imagefs but another backend');
  }
  const containerfs = sameAsImagefs ? imagefs : open('containerfs', containerCfg);
  return { imagefs, containerfs, shared: imagefs === containerfs };
}

// How many bytes a ballast spec adds to `fs` now: a percentage is of the
// filesystem's capacity, counting what is already used by anyone.
export function ballastBytes(fs: Filesystem, spec: BallastSpec): number {
  if ('bytes' in spec) return spec.bytes;
  const c = fs.capacity();
  const used = c.capacityBytes - c.availableBytes;
  return Math.max(0, Math.floor((c.capacityBytes * spec.percent) / 100) - used);
}

// Ballast sizes survive restarts in one small record.
export interface BallastRecord {
  imagefs: number;
  containerfs: number;
}

export class Ballast {
  private current: BallastRecord;

  constructor(
    private readonly fss: Filesystems,
    private readonly records: RecordDir<BallastRecord>,
  ) {
    this.current = records.read('ballast') ?? { imagefs: 0, containerfs: 0 };
  }

  get sizes(): BallastRecord {
    return { ...this.current };
  }

  private fs(name: 'imagefs' | 'containerfs'): Filesystem {
    return this.fss[name];
  }

  private key(name: 'imagefs' | 'containerfs'): string {
    // On a shared filesystem the two ballasts are two objects.
    return this.fss.shared ? `${BALLAST_KEY}-${name}` : BALLAST_KEY;
  }

  expected(name: 'imagefs' | 'containerfs'): [string, ObjectSize] | undefined {
    const bytes = this.current[name];
    return bytes > 0 ? [this.key(name), { bytes, inodes: 1 }] : undefined;
  }

  async fill(name: 'imagefs' | 'containerfs', spec: BallastSpec): Promise<number> {
    const fs = this.fs(name);
    const bytes = ballastBytes(fs, spec);
    if (bytes > 0) await fs.write(this.key(name), bytes);
    this.current = { ...this.current, [name]: this.current[name] + bytes };
    this.records.write('ballast', this.current);
    return bytes;
  }

  drain(name: 'imagefs' | 'containerfs'): number {
    const freed = this.current[name];
    this.fs(name).remove(this.key(name));
    this.current = { ...this.current, [name]: 0 };
    this.records.write('ballast', this.current);
    return freed;
  }
}
