import { createHash } from 'node:crypto';
import { sha256Digest } from '../domain/ids';
import { type ImageReference, formatReference, normalizeReference, repository } from './reference';

// What pulling a reference yields. fakecri talks to no registry for
// container images: everything is derived deterministically from the
// reference, so the same reference always gives the same image, on every run
// and every node, and a digest reported for a tag pulls the same image again.
export interface ImageManifest {
  manifestDigest: string;
  // The config digest, which is the image id everywhere in the CRI.
  id: string;
  layers: { digest: string; size: number }[];
  size: number;
  annotations: Record<string, string>;
}

export interface CatalogOptions {
  defaultMinSize: number;
  defaultMaxSize: number;
  // Normalised reference or glob pattern ("*" matches any run of characters) → bytes.
  sizes: Record<string, number>;
}

const LAYER_ALIGN = 4096;

export class ImageCatalog {
  private readonly exact = new Map<string, number>();
  private readonly patterns: { re: RegExp; size: number }[] = [];

  constructor(private readonly options: CatalogOptions) {
    for (const [key, size] of Object.entries(options.sizes)) {
      if (key.includes('*')) {
        const re = new RegExp(`^${key.split('*').map(escapeRegExp).join('.*')}$`);
        this.patterns.push({ re, size });
      } else {
        this.exact.set(normalizeReference(key, `images.sizes key`), size);
      }
    }
  }

  resolve(ref: ImageReference): ImageManifest {
    const canonical = formatReference(ref);
    const manifestDigest = ref.digest ?? sha256Digest(`fakecri manifest ${repository(ref)}:${ref.tag}`);
    const id = sha256Digest(`fakecri config ${manifestDigest}`);
    const size = this.sizeFor(canonical, manifestDigest);
    return { manifestDigest, id, layers: splitLayers(manifestDigest, size), size, annotations: {} };
  }

  private sizeFor(canonical: string, manifestDigest: string): number {
    const exact = this.exact.get(canonical);
    if (exact !== undefined) return exact;
    for (const p of this.patterns) if (p.re.test(canonical)) return p.size;
    const { defaultMinSize: min, defaultMaxSize: max } = this.options;
    const span = Math.floor((max - min) / LAYER_ALIGN);
    return min + (span > 0 ? (hashInt(manifestDigest) % (span + 1)) * LAYER_ALIGN : 0);
  }
}

// One to four layers, sizes derived from the digest, summing to `size`.
function splitLayers(manifestDigest: string, size: number): { digest: string; size: number }[] {
  const count = size < LAYER_ALIGN * 4 ? 1 : 1 + (hashInt(`${manifestDigest} layers`) % 4);
  const layers: { digest: string; size: number }[] = [];
  let left = size;
  for (let i = 0; i < count; i++) {
    const share = i === count - 1 ? left : Math.floor(left / (count - i) / LAYER_ALIGN) * LAYER_ALIGN;
    layers.push({ digest: sha256Digest(`fakecri layer ${manifestDigest} ${i}`), size: share });
    left -= share;
  }
  return layers;
}

function hashInt(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0);
}

const escapeRegExp = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
