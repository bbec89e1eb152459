import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The archives of checkpoint images (CRI-O's checkpoint annotation), one
// file per image id in a directory of the state dir: CreateContainer of such
// an image restores from it as from an archive path.
export class CheckpointImageArchives {
  constructor(private readonly dir: string) {}

  keep(imageId: string, archive: Buffer): string {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, `${imageId.replace(/[^A-Za-z0-9]/g, '_')}.tar`);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, archive, { mode: 0o600 });
    renameSync(tmp, path);
    return path;
  }

  drop(path: string): void {
    if (path.startsWith(`${this.dir}/`)) rmSync(path, { force: true });
  }
}
