import { FakecriError } from '../domain/errors';
import type { ImageReference } from '../images/reference';
import { type ImageConfig, parseImageConfig } from '../images/image-config';
import { resolveManifest } from './manifest';
import type { RegistryClient } from './registry-client';

export interface RemoteImage {
  // What the reference points at (an index's digest for a multi-arch image):
  // the digest `repo@digest` pulls again.
  manifestDigest: string;
  // The config digest: the image id.
  configDigest: string;
  layers: { digest: string; size: number }[];
  annotations: Record<string, string>;
  config: ImageConfig;
  user?: string;
}

const MAX_CONFIG = 8 * 2 ** 20;

// A container image's real manifest: the layers are not downloaded (fakecri
// accounts their sizes), but the config is, so the id is checked.
export async function fetchImage(client: RegistryClient, ref: ImageReference): Promise<RemoteImage> {
  const resolved = await resolveManifest(client, ref);
  const m = resolved.manifest;
  const blob = await client.getBlob(ref, m.config.digest, MAX_CONFIG);
  const { config, user } = parseImageConfig(blob);
  const layers = m.layers.map((l) => {
    const size = Number(l.size);
    if (!Number.isSafeInteger(size) || size < 0) throw new FakecriError('UNKNOWN', `parse manifest: layer ${l.digest} has size ${JSON.stringify(l.size)}`);
    return { digest: l.digest, size };
  });
  return { manifestDigest: resolved.topDigest, configDigest: m.config.digest, layers, annotations: m.annotations ?? {}, config, ...(user ? { user } : {}) };
}
