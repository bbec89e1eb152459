import type { Logger } from 'pino';
import { nowNanos } from '../domain/clock';
import type { ImageRecord, ImageStore } from '../store/image-store';
import type { ImageCatalog } from './catalog';
import { formatReference, parseReference, repository } from './reference';

// Pull, look up and remove images. Identity is the config digest: the id that
// PullImage returns is the one ListImages, ImageStatus and every container
// report, which is what the kubelet's image GC relies on to see images in use.
export class ImageService {
  private readonly pinnedRef: string;

  constructor(
    readonly store: ImageStore,
    private readonly catalog: ImageCatalog,
    sandboxImage: string,
    private readonly log: Logger,
  ) {
    this.pinnedRef = formatReference(parseReference(sandboxImage, 'runtime.sandbox_image'));
  }

  pull(image: string): ImageRecord {
    const ref = parseReference(image, 'image.image');
    const manifest = this.catalog.resolve(ref);
    const repo = repository(ref);
    const record = this.store.put({
      id: manifest.id,
      repoTags: ref.tag ? [`${repo}:${ref.tag}`] : [],
      repoDigests: [`${repo}@${manifest.manifestDigest}`],
      size: manifest.size,
      layers: manifest.layers,
      annotations: manifest.annotations,
      createdAt: this.store.get(manifest.id)?.createdAt ?? nowNanos(),
    });
    this.log.info({ image: formatReference(ref), id: record.id, size: record.size }, 'image pulled');
    return record;
  }

  // An id ("sha256:…", bare hex, or a unique hex prefix), a tag or a digest
  // reference, in any form the user typed it.
  find(refOrId: string): ImageRecord | undefined {
    const direct = this.store.get(refOrId) ?? this.store.get(`sha256:${refOrId}`);
    if (direct) return direct;
    try {
      const ref = parseReference(refOrId);
      const byName = this.store.find(formatReference(ref)) ?? (ref.digest ? this.store.find(`${repository(ref)}@${ref.digest}`) : undefined);
      if (byName) return byName;
    } catch {
      // Not a reference; it may still be an id prefix.
    }
    const hex = refOrId.startsWith('sha256:') ? refOrId.slice(7) : refOrId;
    if (!/^[a-f0-9]{4,63}$/.test(hex)) return undefined;
    let found: ImageRecord | undefined;
    for (const image of this.store.values()) {
      if (!image.id.startsWith(`sha256:${hex}`)) continue;
      if (found) return undefined;
      found = image;
    }
    return found;
  }

  list(): ImageRecord[] {
    return [...this.store.values()];
  }

  isPinned(image: ImageRecord): boolean {
    return image.repoTags.includes(this.pinnedRef);
  }

  // Removes the image with all its tags. Unknown images are success.
  remove(refOrId: string): ImageRecord | undefined {
    const image = this.find(refOrId);
    if (!image) return undefined;
    this.store.remove(image.id);
    this.log.info({ id: image.id, tags: image.repoTags }, 'image removed');
    return image;
  }
}
