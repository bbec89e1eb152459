import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// One versioned JSON file per object, written to a temp file and renamed over
// the old one, so a kill -9 leaves either the old or the new record, never a
// torn one. Writes are synchronous: the RPC that changed the object returns
// only after its record is in the page cache, which survives a process kill.
const FORMAT_VERSION = 1;

export class StateFileError extends Error {}

export class RecordDir<T> {
  constructor(
    readonly dir: string,
    private readonly kind: string,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  write(id: string, data: T): void {
    const file = this.file(id);
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: FORMAT_VERSION, kind: this.kind, data }));
    renameSync(tmp, file);
  }

  delete(id: string): void {
    try {
      unlinkSync(this.file(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  read(id: string): T | undefined {
    const file = this.file(id);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return this.parse(file, text);
  }

  // Reads every record. A record that does not parse stops start-up: starting
  // empty would make the kubelet lose track of running pods.
  loadAll(): T[] {
    const out: T[] = [];
    for (const name of readdirSync(this.dir)) {
      const file = join(this.dir, name);
      // A temp file is a write that never completed, so never acknowledged.
      if (name.endsWith('.tmp')) {
        unlinkSync(file);
        continue;
      }
      if (!name.endsWith('.json')) continue;
      out.push(this.parse(file, readFileSync(file, 'utf8')));
    }
    return out;
  }

  private parse(file: string, text: string): T {
    let doc: { version?: unknown; kind?: unknown; data?: unknown };
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new StateFileError(`state file ${file} is corrupt or truncated: ${(err as Error).message}`);
    }
    if (doc === null || typeof doc !== 'object' || doc.version !== FORMAT_VERSION || doc.kind !== this.kind || !doc.data) {
      throw new StateFileError(
        `state file ${file} is not a version ${FORMAT_VERSION} ${this.kind} record (version ${String(doc?.version)}, kind ${String(doc?.kind)})`,
      );
    }
    return doc.data as T;
  }
}
