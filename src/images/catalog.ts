import { createHash } from 'node:crypto';
import { sha256Digest } from '../domain/ids';
import type { Behaviour } from '../workloads/behaviour';
import { BUILTIN_IMAGES, type ImageConfig } from './image-config';
import { type ImageReference, formatReference, normalizeReference, parseReference, repository } from './reference';

// What pulling a reference yields. fakecri talks to no registry for
// container images: everything is derived deterministically from the
// reference, so the same reference always gives the same image, on every run
// and every node, and a digest reported for a tag pulls the same image again.
export interface ImageManifest {
  manifestDigest: string;
  // The config digest, which is the image id everywhere in the CRI.
  id: string;
  layers: ManifestLayer[];
  size: number;
  annotations: Record<string, string>;
  // The image config's User, if it sets one.
  user?: string;
  // Entrypoint, Cmd, Env…: how its containers run.
  config?: ImageConfig;
  // A checkpoint image's one layer, unpacked: the checkpoint archive.
  checkpoint?: Buffer;
}

export interface ManifestLayer {
  digest: string;
  size: number;
  // The files it holds unpacked, when the image says; else the image
  // service derives them from the size.
  inodes?: number;
}

export interface CatalogEntry {
  match: string; // reference or glob pattern ("*" matches any run of characters)
  size?: number;
  layers?: number;
  inodes?: number;
  annotations: Record<string, string>;
  base_layer: boolean;
  user?: string;
  same_as?: string;
  behaviour?: Behaviour;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  working_dir?: string;
  stop_signal?: string;
  userland?: ImageConfig['userland'];
  files?: Record<string, string>;
}

export interface CatalogOptions {
  defaultMinSize: number;
  defaultMaxSize: number;
  // Shorthand entries: reference or pattern → bytes.
  sizes: Record<string, number>;
  entries: CatalogEntry[];
  // A layer shared by every image (stored once), when above 0.
  baseLayerSize: number;
}

// The shared base layer's digest: the same on every node and every run.
export const BASE_LAYER_DIGEST = sha256Digest('fakecri shared base layer');

const LAYER_ALIGN = 4096;

type Matcher = (canonical: string) => boolean;

export class ImageCatalog {
  // Catalog entries first, in order, then the `sizes` shorthand.
  private readonly entries: { matches: Matcher; entry: Partial<CatalogEntry> }[] = [];

  constructor(private readonly options: CatalogOptions) {
    for (const entry of options.entries) this.entries.push({ matches: matcher(entry.match, 'images.catalog match'), entry });
    for (const [key, size] of Object.entries(options.sizes)) this.entries.push({ matches: matcher(key, 'images.sizes key'), entry: { size } });
    for (const b of BUILTIN_IMAGES) this.builtins.push({ matches: matcher(b.match, 'built-in image'), config: b.config });
  }

  private readonly builtins: { matches: Matcher; config: ImageConfig }[] = [];

  // The run config of an image: the first catalog entry that gives any of
  // it, else fakecri's built-in knowledge of common images, else none.
  private configFor(canonical: string): ImageConfig | undefined {
    const e = this.entries.find((x) => x.matches(canonical) && hasConfig(x.entry))?.entry;
    if (e) {
      const c: ImageConfig = {};
      if (e.entrypoint) c.entrypoint = e.entrypoint;
      if (e.cmd) c.cmd = e.cmd;
      if (e.env) c.env = e.env;
      if (e.working_dir) c.workingDir = e.working_dir;
      if (e.stop_signal) c.stopSignal = e.stop_signal;
      if (e.userland) c.userland = e.userland;
      if (e.files) c.files = e.files;
      return c;
    }
    return this.builtins.find((b) => b.matches(canonical))?.config;
  }

  resolve(ref: ImageReference, followSameAs = true): ImageManifest {
    const canonical = formatReference(ref);
    const sameAs = this.entries.find((e) => e.matches(canonical))?.entry.same_as;
    if (followSameAs && sameAs) return this.resolve(parseReference(sameAs, 'images.catalog same_as'), false);
    const manifestDigest = ref.digest ?? sha256Digest(`fakecri manifest ${repository(ref)}:${ref.tag}`);
    const id = sha256Digest(`fakecri config ${manifestDigest}`);
    const found = this.entries.find((e) => e.matches(canonical))?.entry ?? {};
    const size = found.size ?? this.defaultSize(manifestDigest);
    const base = this.options.baseLayerSize > 0 && found.base_layer !== false ? this.options.baseLayerSize : 0;
    const own = splitLayers(manifestDigest, base ? Math.max(size - base, LAYER_ALIGN) : size, found.layers);
    if (found.inodes) shareInodes(own, found.inodes);
    const layers = base ? [{ digest: BASE_LAYER_DIGEST, size: base }, ...own] : own;
    return {
      manifestDigest,
      id,
      layers,
      size: layers.reduce((sum, l) => sum + l.size, 0),
      annotations: found.annotations ?? {},
      ...(found.user ? { user: found.user } : {}),
      ...withConfig(this.configFor(canonical)),
    };
  }

  // The behaviour the catalog gives containers of this image, if any.
  behaviourFor(image: string): Behaviour | undefined {
    let canonical: string;
    try {
      canonical = formatReference(parseReference(image));
    } catch {
      return undefined;
    }
    return this.entries.find((e) => e.matches(canonical))?.entry.behaviour;
  }

  private defaultSize(manifestDigest: string): number {
    const { defaultMinSize: min, defaultMaxSize: max } = this.options;
    const span = Math.floor((max - min) / LAYER_ALIGN);
    return min + (span > 0 ? (hashInt(manifestDigest) % (span + 1)) * LAYER_ALIGN : 0);
  }
}

// `count` layers (default one to four, derived from the digest), summing to `size`.
function splitLayers(manifestDigest: string, size: number, count = size < LAYER_ALIGN * 4 ? 1 : 1 + (hashInt(`${manifestDigest} layers`) % 4)): ManifestLayer[] {
  count = Math.max(1, Math.min(count, Math.floor(size / LAYER_ALIGN)));
  const layers: ManifestLayer[] = [];
  let left = size;
  for (let i = 0; i < count; i++) {
    const share = i === count - 1 ? left : Math.floor(left / (count - i) / LAYER_ALIGN) * LAYER_ALIGN;
    layers.push({ digest: sha256Digest(`fakecri layer ${manifestDigest} ${i}`), size: share });
    left -= share;
  }
  return layers;
}

// An image's files over its layers, by their sizes; a layer has one at least.
function shareInodes(layers: ManifestLayer[], inodes: number): void {
  const total = layers.reduce((sum, l) => sum + l.size, 0);
  let left = inodes;
  layers.forEach((l, i) => {
    const share = i === layers.length - 1 ? left : Math.floor((inodes * l.size) / total);
    l.inodes = Math.max(1, share);
    left -= share;
  });
}

function hashInt(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0);
}

// A glob matches the full reference (docker.io/library/nginx:1.25) or its
// short Docker Hub form (nginx:1.25, bitnami/redis:7), as users write them.
function matcher(pattern: string, field: string): Matcher {
  if (pattern.includes('*')) {
    const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
    return (canonical) => re.test(canonical) || re.test(familiar(canonical));
  }
  const exact = normalizeReference(pattern, field);
  return (canonical) => canonical === exact;
}

const familiar = (canonical: string): string => canonical.replace(/^docker\.io\/(library\/)?/, '');

const escapeRegExp = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

const hasConfig = (e: Partial<CatalogEntry>): boolean =>
  Boolean(e.entrypoint || e.cmd || e.env || e.working_dir || e.stop_signal || e.userland || e.files);

const withConfig = (config: ImageConfig | undefined): { config?: ImageConfig } => (config ? { config } : {});
