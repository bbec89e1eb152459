import { failedPrecondition, invalidArgument, notFound } from '../domain/errors';
import type { RecordDir } from './persist';

// An in-memory map of records mirrored to disk. Every change goes through
// add/update/remove, which persist before they return. update() works on a
// copy, so a callback that throws (a refused state transition, say) leaves
// both memory and disk as they were. The copy is shallow: a change sets a
// record's top-level fields and never edits a nested object in place, so
// the nested objects (labels, config) are shared between the versions
// instead of copied on every state change.
export class ObjectStore<T extends { id: string; createdAt: string }> {
  private readonly items = new Map<string, T>();
  // Counts changes: an answer built from every record is good while it holds.
  private changes = 0;

  constructor(
    private readonly records: RecordDir<T>,
    readonly what: string,
  ) {}

  load(): T[] {
    const all = this.records.loadAll().sort((a, b) => compareNanos(a.createdAt, b.createdAt));
    for (const item of all) this.items.set(item.id, item);
    return all;
  }

  get generation(): number {
    return this.changes;
  }

  get size(): number {
    return this.items.size;
  }

  get(id: string): T | undefined {
    return this.items.get(id);
  }

  // An exact id, or a prefix that matches exactly one id, as crictl sends.
  resolve(idOrPrefix: string): T | undefined {
    const exact = this.items.get(idOrPrefix);
    if (exact || idOrPrefix === '') return exact;
    let found: T | undefined;
    for (const [id, item] of this.items) {
      if (!id.startsWith(idOrPrefix)) continue;
      if (found) throw invalidArgument(`${this.what} id prefix "${idOrPrefix}" is ambiguous`);
      found = item;
    }
    return found;
  }

  mustResolve(idOrPrefix: string): T {
    const item = this.resolve(idOrPrefix);
    if (!item) throw notFound(`${this.what} "${idOrPrefix}" not found`);
    return item;
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  add(item: T): T {
    if (this.items.has(item.id)) throw failedPrecondition(`${this.what} "${item.id}" already exists`);
    this.records.write(item.id, item);
    this.items.set(item.id, item);
    this.changes++;
    return item;
  }

  update(id: string, change: (draft: T) => void): T {
    const current = this.items.get(id);
    if (!current) throw notFound(`${this.what} "${id}" not found`);
    const draft = { ...current };
    change(draft);
    this.records.write(id, draft);
    this.items.set(id, draft);
    this.changes++;
    return draft;
  }

  remove(id: string): T | undefined {
    const current = this.items.get(id);
    if (!current) return undefined;
    this.records.delete(id);
    this.items.delete(id);
    this.changes++;
    return current;
  }
}

export function compareNanos(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
