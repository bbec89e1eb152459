import type { Logger } from 'pino';
import { FakecriError } from '../domain/errors';
import { nowNanos } from '../domain/clock';
import type { ImageRecord, ImageStore } from '../store/image-store';
import type { Filesystem } from '../vfs/filesystem';
import { layerKey } from '../vfs/filesystems';
import type { ImageCatalog, ImageManifest } from './catalog';
import { formatReference, parseReference, repository } from './reference';
import type { PullAuth, RemoteImages } from './remote';

// Memory is the limit, and image GC scans them all.
export const MAX_IMAGES = 50_000;

export interface ImageServiceOptions {
  sandboxImage: string;
  // Bytes per second for pulling this (normalised) image; 0 = unlimited.
  pullBandwidth: (image: string) => number;
  // A layer whose manifest does not say how many files it holds unpacked
  // takes one inode per this many bytes (images.bytes_per_inode).
  bytesPerInode: number;
  // Registries pulled from for real (registries.pull_from); else the catalog.
  remote?: RemoteImages;
  // Keeps a checkpoint image's archive (its unpacked layer): where it is.
  keepCheckpoint?: (id: string, archive: Buffer) => string;
  dropCheckpoint?: (path: string) => void;
}

// Pull, look up and remove images. Identity is the config digest: the id that
// PullImage returns is the one ListImages, ImageStatus and every container
// report, which is what the kubelet's image GC relies on to see images in use.
// Layers live on imagefs, stored once however many images share them.
export class ImageService {
  private readonly pinnedRef: string;
  // Pulls under way, by image id: identical pulls share one.
  private readonly pulls = new Map<string, Promise<void>>();
  // Layer writes under way, and how many pulls under way need each layer.
  private readonly layerWrites = new Map<string, Promise<void>>();
  private readonly claims = new Map<string, number>();

  constructor(
    readonly store: ImageStore,
    private readonly catalog: ImageCatalog,
    private readonly imagefs: Filesystem,
    private readonly options: ImageServiceOptions,
    private readonly log: Logger,
  ) {
    this.pinnedRef = formatReference(parseReference(options.sandboxImage, 'runtime.sandbox_image'));
  }

  async pull(image: string, auth?: PullAuth): Promise<ImageRecord> {
    const ref = parseReference(image, 'image.image');
    if (this.store.size >= MAX_IMAGES && !this.find(image)) throw new FakecriError('RESOURCE_EXHAUSTED', `images: there are already ${MAX_IMAGES}, the most fakecri holds`);
    const manifest = this.unpacked((await this.options.remote?.resolve(ref, auth)) ?? this.catalog.resolve(ref));
    // Each pull claims the layers until its record refers to them, or it
    // failed: a layer is never removed while a pull still needs it. Claims
    // are counted per pull, not per fetch: two pulls of one image share the
    // fetch but each gives back its own claim.
    this.claim(manifest);
    let record: ImageRecord | undefined;
    try {
      let pulling = this.pulls.get(manifest.id);
      if (!pulling) {
        pulling = this.fetchLayers(formatReference(ref), manifest).finally(() => this.pulls.delete(manifest.id));
        this.pulls.set(manifest.id, pulling);
      }
      await pulling;
      const repo = repository(ref);
      record = this.store.put({
        id: manifest.id,
        repoTags: ref.tag ? [`${repo}:${ref.tag}`] : [],
        repoDigests: [`${repo}@${manifest.manifestDigest}`],
        size: manifest.size,
        layers: manifest.layers,
        annotations: manifest.annotations,
        ...(manifest.user ? { user: manifest.user } : {}),
        ...(manifest.config ? { config: manifest.config } : {}),
        ...(manifest.checkpoint && this.options.keepCheckpoint ? { checkpointArchive: this.options.keepCheckpoint(manifest.id, manifest.checkpoint) } : {}),
        createdAt: this.store.get(manifest.id)?.createdAt ?? nowNanos(),
      });
    } finally {
      this.release(manifest, record === undefined);
    }
    this.log.info({ image: formatReference(ref), id: record.id, size: record.size }, 'image pulled');
    return record;
  }

  // Each layer with the inodes it takes on imagefs: containerd unpacks a
  // layer into a tree of files, and the kubelet's image GC frees them
  // (ImageGCNoEviction counts on it under inode pressure).
  private unpacked(manifest: ImageManifest): ImageManifest {
    const layers = manifest.layers.map((l) => ({ digest: l.digest, size: l.size, inodes: l.inodes ?? Math.max(1, Math.ceil(l.size / this.options.bytesPerInode)) }));
    return { ...manifest, layers };
  }

  // Writes the layers imagefs does not hold yet; a layer another pull is
  // writing is waited for, not written twice.
  private async fetchLayers(name: string, manifest: ImageManifest): Promise<void> {
    try {
      for (const layer of manifest.layers) {
        const key = layerKey(layer.digest);
        let write = this.layerWrites.get(layer.digest);
        if (!write && !this.imagefs.sizeOf(key)) {
          write = this.imagefs
            .write(key, layer.size, { bytesPerSecond: this.options.pullBandwidth(name) }, layer.inodes)
            .finally(() => this.layerWrites.delete(layer.digest));
          this.layerWrites.set(layer.digest, write);
        }
        if (write) await write;
      }
    } catch (err) {
      if (err instanceof FakecriError && err.code === 'RESOURCE_EXHAUSTED') {
        throw new FakecriError('RESOURCE_EXHAUSTED', `failed to pull and unpack image "${name}": failed to extract layer: ${err.message}`);
      }
      throw err;
    }
  }

  private claim(manifest: ImageManifest): void {
    for (const layer of manifest.layers) this.claims.set(layer.digest, (this.claims.get(layer.digest) ?? 0) + 1);
  }

  // After a failed pull, layers that no image and no other pull needs go.
  private release(manifest: ImageManifest, failed: boolean): void {
    for (const layer of manifest.layers) {
      const left = (this.claims.get(layer.digest) ?? 1) - 1;
      if (left > 0) this.claims.set(layer.digest, left);
      else this.claims.delete(layer.digest);
      if (failed && left <= 0 && !this.layerWrites.has(layer.digest) && !this.referenced(layer.digest)) this.imagefs.remove(layerKey(layer.digest));
    }
  }

  private referenced(digest: string): boolean {
    for (const image of this.store.values()) {
      if (image.layers.some((l) => l.digest === digest)) return true;
    }
    return false;
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

  // Removes the image with all its tags, and the layers only it used.
  // Unknown images are success. Settles once the layers' files are off the
  // disk: the kubelet measures right after its image GC.
  async remove(refOrId: string): Promise<ImageRecord | undefined> {
    const image = this.find(refOrId);
    if (!image) return undefined;
    this.store.remove(image.id);
    if (image.checkpointArchive) this.options.dropCheckpoint?.(image.checkpointArchive);
    let freed = 0;
    const gone: Promise<void>[] = [];
    for (const layer of image.layers) {
      if (this.claims.has(layer.digest) || this.referenced(layer.digest)) continue;
      const removing = this.imagefs.remove(layerKey(layer.digest));
      if (removing) gone.push(removing);
      freed += layer.size;
    }
    this.log.info({ id: image.id, tags: image.repoTags, freed }, 'image removed');
    await Promise.all(gone);
    return image;
  }
}
