import type { ImageConfig } from '../images/image-config';
import type { RecordDir } from './persist';

export interface ImageRecord {
  id: string; // sha256 config digest
  repoTags: string[]; // docker.io/library/nginx:latest
  repoDigests: string[]; // docker.io/library/nginx@sha256:...
  size: number;
  // inodes: the files it holds unpacked; absent in records written before
  // fakecri counted them, whose layers took one.
  layers: { digest: string; size: number; inodes?: number }[];
  annotations: Record<string, string>;
  createdAt: string; // first pulled
  user?: string; // the image config's User, when it sets one
  config?: ImageConfig; // Entrypoint, Cmd, Env…, when known
  // A checkpoint image (CRI-O's annotation): where its archive is kept.
  checkpointArchive?: string;
}

// Images by id, with an index from every tag and digest reference to its id.
export class ImageStore {
  private readonly byId = new Map<string, ImageRecord>();
  private readonly byRef = new Map<string, string>();

  constructor(private readonly records: RecordDir<ImageRecord>) {}

  load(): ImageRecord[] {
    const all = this.records.loadAll();
    for (const image of all) this.index(image);
    return all;
  }

  get size(): number {
    return this.byId.size;
  }

  values(): IterableIterator<ImageRecord> {
    return this.byId.values();
  }

  get(id: string): ImageRecord | undefined {
    return this.byId.get(id);
  }

  // By reference (tag or digest form, normalised) or by id.
  find(refOrId: string): ImageRecord | undefined {
    const id = this.byRef.get(refOrId) ?? refOrId;
    return this.byId.get(id);
  }

  // Adds the image, or the references to an image already held. A tag that
  // pointed at another image moves, as `docker pull` moves it.
  put(image: ImageRecord): ImageRecord {
    const existing = this.byId.get(image.id);
    const merged: ImageRecord = existing
      ? {
          ...existing,
          repoTags: union(existing.repoTags, image.repoTags),
          repoDigests: union(existing.repoDigests, image.repoDigests),
        }
      : image;
    for (const ref of [...image.repoTags, ...image.repoDigests]) {
      const owner = this.byRef.get(ref);
      if (owner && owner !== image.id) this.untag(owner, ref);
    }
    this.records.write(merged.id, merged);
    this.index(merged);
    return merged;
  }

  remove(id: string): ImageRecord | undefined {
    const image = this.byId.get(id);
    if (!image) return undefined;
    this.records.delete(id);
    this.byId.delete(id);
    for (const ref of [...image.repoTags, ...image.repoDigests]) this.byRef.delete(ref);
    return image;
  }

  private untag(id: string, ref: string): void {
    const image = this.byId.get(id);
    if (!image) return;
    const next = { ...image, repoTags: image.repoTags.filter((t) => t !== ref), repoDigests: image.repoDigests.filter((d) => d !== ref) };
    this.records.write(id, next);
    this.byRef.delete(ref);
    this.byId.set(id, next);
  }

  private index(image: ImageRecord): void {
    this.byId.set(image.id, image);
    for (const ref of [...image.repoTags, ...image.repoDigests]) this.byRef.set(ref, image.id);
  }
}

const union = (a: string[], b: string[]): string[] => [...new Set([...a, ...b])];
