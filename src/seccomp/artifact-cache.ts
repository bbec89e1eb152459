import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

// Pulled profiles on disk by layer digest (<state-dir>/seccomp/artifacts/),
// as CRI-O keeps them in its artifact store. Written only after the digest
// was verified, atomically; checked again when read back.
export class ArtifactCache {
  constructor(readonly dir: string) {}

  path(digest: string): string {
    return join(this.dir, digest.replace(':', '-'));
  }

  get(digest: string): Buffer | undefined {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.path(digest));
    } catch {
      return undefined;
    }
    if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` === digest) return bytes;
    rmSync(this.path(digest), { force: true });
    return undefined;
  }

  put(digest: string, bytes: Buffer): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.path(digest)}.tmp-${process.pid}`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, this.path(digest));
  }
}
