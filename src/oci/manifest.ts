import { FakecriError } from '../domain/errors';
import type { ImageReference } from '../images/reference';
import { type Index, type Manifest, isIndex } from './media-types';
import { type Platform, chooseManifest } from './platform';
import type { FetchedManifest, RegistryClient } from './registry-client';

export interface ResolvedManifest {
  // What the reference points at: an index's digest when it is one.
  topDigest: string;
  digest: string;
  mediaType: string;
  manifest: Manifest;
}

// Fetches the manifest a reference names, going through an index to the
// entry for this node's platform.
export async function resolveManifest(client: RegistryClient, ref: ImageReference, platform?: Platform): Promise<ResolvedManifest> {
  const top = await client.getManifest(ref);
  let chosen: FetchedManifest = top;
  if (isIndex(top.mediaType) || isIndex(jsonOf<Index>(top.bytes).mediaType ?? '')) {
    const index = jsonOf<Index>(top.bytes);
    const entry = chooseManifest(index, platform);
    chosen = await client.getManifest(ref, entry.digest);
    if (isIndex(chosen.mediaType)) throw new FakecriError('UNKNOWN', `parse manifest: nested index ${entry.digest} is not supported`);
  }
  const manifest = jsonOf<Manifest>(chosen.bytes);
  if (!manifest.config || !Array.isArray(manifest.layers)) {
    throw new FakecriError('UNKNOWN', `parse manifest: ${chosen.digest} (${chosen.mediaType || 'no media type'}) has no config or layers`);
  }
  return { topDigest: top.digest, digest: chosen.digest, mediaType: chosen.mediaType || manifest.mediaType || '', manifest };
}

function jsonOf<T>(bytes: Buffer): T {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as T;
    if (!value || typeof value !== 'object') throw new Error('not an object');
    return value;
  } catch (err) {
    throw new FakecriError('UNKNOWN', `parse manifest: ${(err as Error).message}`);
  }
}

