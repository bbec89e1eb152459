import type { CommandLookup } from '../applets/types';
import { type Found, absolutePath, searchPath } from '../rootfs/path';
import type { ContainerFs } from '../rootfs/types';

// ash's command hash: where a shell found each command down PATH, so that a
// loop running `dd` and `sleep` does not search PATH for them every round.
// Kept for one PATH value, and only when PATH has no relative entries (they
// depend on the cwd). A hit is checked as the search would check it; one
// that is gone is searched again.
export class CommandHash implements CommandLookup {
  private path = '';
  private cacheable = false;
  private readonly found = new Map<string, string>();

  lookup(fs: ContainerFs, name: string, path: string, cwd: string): Found {
    if (name.includes('/')) return searchPath(fs, name, path, cwd);
    if (path !== this.path) {
      this.clear();
      this.path = path;
      this.cacheable = absolutePath(path);
    }
    const hit = this.found.get(name);
    if (hit !== undefined) {
      try {
        if (fs.typeOf(hit) === 'file') {
          fs.access(hit, 1);
          return { path: hit, error: 'EACCES', executable: true };
        }
      } catch {
        // Gone or no longer executable: search again.
      }
      this.found.delete(name);
    }
    const r = searchPath(fs, name, path, cwd);
    if (r.executable && this.cacheable) this.found.set(name, r.path!);
    return r;
  }

  // `hash -r`.
  clear(): void {
    this.found.clear();
  }

  forget(name: string): void {
    this.found.delete(name);
  }

  // `hash`: where each command was found.
  paths(): IterableIterator<string> {
    return this.found.values();
  }
}
