import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MemInode, MemTree, TreeWatcher } from './memory-tree';
import { type JournalLine, type PersistedTree, applyJournal, isPersistedTree, nodeRecord, serializeTree } from './persist';

// How a memory layer is written out: a snapshot of the whole tree
// (<id>.json), then only what changed, appended to <id>.journal. Writing
// the whole tree each time cost a layer O(its files) every few seconds:
// with a thousand pods writing a file a round, a third of the server's
// time within 40 s. A new snapshot replaces the journal once the journal
// has grown past it, so the snapshots cost no more, in all, than the
// journal they replace.

// Below this a journal is not worth folding into a new snapshot.
const MIN_FOLD_BYTES = 64 * 1024;

export const journalOf = (file: string): string => file.replace(/\.json$/, '') + '.journal';

export class LayerJournal implements TreeWatcher {
  // Made once there is a snapshot to follow: until then changes are not
  // recorded, the next write being a snapshot anyway.
  private nodes?: Set<MemInode>;
  private names?: Map<MemInode, Set<string>>;
  private gen = 0;
  private journalBytes = 0;
  // The journal's size that calls for a new snapshot.
  private foldAt = 0;

  constructor(private readonly onChange: () => void) {}

  changed(n: MemInode): void {
    this.nodes?.add(n);
    this.onChange();
  }

  named(dir: MemInode, name: string): void {
    if (this.names) {
      let set = this.names.get(dir);
      if (!set) this.names.set(dir, (set = new Set()));
      set.add(name);
    }
    this.onChange();
  }

  // Writes out what changed since the last write.
  write(tree: MemTree, file: string): void {
    if (!this.nodes || this.journalBytes > this.foldAt) return this.snapshot(tree, file);
    const lines: JournalLine[] = [];
    if (this.journalBytes === 0) lines.push(['g', this.gen]);
    // Inodes first: an entry names an inode the reader already has.
    for (const n of this.nodes) if (!n.freed && n.nlink > 0) lines.push(['n', n.ino, nodeRecord(n)]);
    for (const [dir, names] of this.names!) {
      if (dir.freed || dir.nlink === 0) continue;
      for (const name of names) lines.push(['e', dir.ino, name, dir.entries!.get(name)?.ino ?? null]);
    }
    this.nodes.clear();
    this.names!.clear();
    if (lines.length === 0) return;
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    try {
      appendFileSync(journalOf(file), text);
    } catch (err) {
      // What did not reach the journal is in the next snapshot.
      this.nodes = undefined;
      this.names = undefined;
      throw err;
    }
    this.journalBytes += text.length;
  }

  private snapshot(tree: MemTree, file: string): void {
    // Random, so that a journal left by a crash (or an earlier run) never
    // matches a new snapshot.
    const gen = Math.floor(Math.random() * 2 ** 48);
    const text = JSON.stringify(serializeTree(tree, gen));
    writeAtomic(file, text);
    rmSync(journalOf(file), { force: true });
    this.gen = gen;
    // Once the journal outgrows the snapshot, give or take: pods started
    // together and writing alike would otherwise all fold in the same second.
    this.foldAt = Math.max(text.length, MIN_FOLD_BYTES) * (1 + Math.random() / 2);
    this.journalBytes = 0;
    this.nodes = new Set();
    this.names = new Map();
  }
}

// The snapshot with its journal applied; undefined when there is none.
export function readPersisted(file: string): PersistedTree | undefined {
  // A new container's layer has no file: asked, not thrown (an ENOENT is an
  // Error with its stack, per container start).
  const text = readIfThere(file);
  if (text === undefined) return undefined;
  const data: unknown = JSON.parse(text);
  if (!isPersistedTree(data)) throw new Error(`${file} is not a persisted writable layer`);
  const journal = readIfThere(journalOf(file));
  return journal === undefined ? data : applyJournal(data, journal);
}

function readIfThere(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  // The directory is there but for the first write: a thousand busy layers
  // are written out every few seconds, and a mkdir each was a tenth of it.
  try {
    writeFileSync(tmp, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, text);
  }
  renameSync(tmp, file);
}

// Both files of a layer go.
export function removePersisted(file: string): void {
  rmSync(file, { force: true });
  rmSync(journalOf(file), { force: true });
}
