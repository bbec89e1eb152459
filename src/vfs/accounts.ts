import type { LiveSize, ObjectSize, Usage } from './filesystem';

// `gone` is set as an entry leaves the map, for readers that keep it.
type Entry = ObjectSize & { gone: boolean };

// The bookkeeping both backends share: objects by key, and the bytes and
// inodes they hold. reserve() counts a write before it happens, so that
// writes under way see each other, and returns how to take it back.
export class Accounts {
  private readonly objects = new Map<string, Entry>();
  private used = 0;
  private inodes = 0;

  has(key: string): boolean {
    return this.objects.has(key);
  }

  // The live entry, or undefined.
  entry(key: string): LiveSize | undefined {
    return this.objects.get(key);
  }

  sizeOf(key: string): ObjectSize | undefined {
    const e = this.objects.get(key);
    return e && { bytes: e.bytes, inodes: e.inodes };
  }

  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix));
  }

  usage(): Usage {
    return { usedBytes: this.used, inodesUsed: this.inodes };
  }

  reserve(key: string, bytes: number, inodes: number): () => void {
    const existing = this.objects.get(key);
    const entry = existing ?? { bytes: 0, inodes, gone: false };
    entry.bytes += bytes;
    this.used += bytes;
    if (!existing) {
      this.objects.set(key, entry);
      this.inodes += inodes;
    }
    return () => {
      entry.bytes -= bytes;
      this.used -= bytes;
      if (!existing) {
        this.objects.delete(key);
        entry.gone = true;
        this.inodes -= inodes;
      }
    };
  }

  // Adds to an object's bytes and inodes (negative: takes away), creating it.
  add(key: string, bytes: number, inodes: number): void {
    const entry = this.objects.get(key);
    if (entry) {
      entry.bytes += bytes;
      entry.inodes += inodes;
    } else {
      this.objects.set(key, { bytes, inodes, gone: false });
    }
    this.used += bytes;
    this.inodes += inodes;
  }

  remove(key: string): ObjectSize | undefined {
    const entry = this.objects.get(key);
    if (!entry) return undefined;
    this.objects.delete(key);
    entry.gone = true;
    this.used -= entry.bytes;
    this.inodes -= entry.inodes;
    return entry;
  }

  adopt(key: string, size: ObjectSize): void {
    const replaced = this.objects.get(key);
    if (replaced) replaced.gone = true;
    this.objects.set(key, { bytes: size.bytes, inodes: size.inodes, gone: false });
    this.used += size.bytes;
    this.inodes += size.inodes;
  }
}
