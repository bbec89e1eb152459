import { basename } from 'node:path';
import { FakecriError } from '../domain/errors';
import { type ImageReference, parseReference } from '../images/reference';
import { digestOf } from './digest';
import { DOCKER_IMAGE_CONFIG, type Manifest, OCI_IMAGE_CONFIG, OCI_LAYER_TAR, OCI_MANIFEST, SECCOMP_CONFIG } from './media-types';
import { resolveManifest } from './manifest';
import type { RegistryClient } from './registry-client';

export const MAX_ARTIFACT_SIZE = 2 ** 20;

// Where pulled layers are kept by digest; a hit skips the blob download.
// The caller stores what it has checked: nothing from a failed pull.
export interface BlobCache {
  get(digest: string): Buffer | undefined;
}

export interface PullArtifactOptions {
  // The config mediaType the manifest must carry; "" checks nothing (newer
  // CRI-O), and then a plain container image is refused instead.
  configMediaType: string;
  maxSize?: number;
  cache?: BlobCache;
}

export interface PulledArtifact {
  ref: string;
  manifestDigest: string;
  layerDigest: string;
  // The first layer's bytes: the profile.
  data: Buffer;
  cached: boolean;
}

// Pulls an OCI artifact the way CRI-O's ociartifact Pull does: the manifest
// (through an index), its config media type, then the first layer, within
// the size limit and digest-checked.
export async function pullArtifact(client: RegistryClient, reference: string, options: PullArtifactOptions): Promise<PulledArtifact> {
  const max = options.maxSize ?? MAX_ARTIFACT_SIZE;
  const ref = parseReference(reference, 'artifact reference');
  const resolved = await resolveManifest(client, ref);
  const m = resolved.manifest;
  const configType = m.config.mediaType ?? '';
  if (options.configMediaType && configType !== options.configMediaType) {
    throw new FakecriError('FAILED_PRECONDITION', `wrong config media type ${JSON.stringify(configType)}, requires ${JSON.stringify(options.configMediaType)}`);
  }
  if (!options.configMediaType && [OCI_IMAGE_CONFIG, DOCKER_IMAGE_CONFIG, ''].includes(configType) && !m.artifactType) {
    throw new FakecriError('FAILED_PRECONDITION', 'reference is a container image, not an OCI artifact');
  }
  if (m.layers.length < 1) throw new FakecriError('FAILED_PRECONDITION', 'artifact needs at least one layer');
  const declared = m.layers.reduce((sum, l) => sum + (Number(l.size) || 0), 0);
  if (declared > max) throw new FakecriError('RESOURCE_EXHAUSTED', `exceeded maximum allowed artifact size of ${max} bytes`);
  const layer = m.layers[0];
  const hit = options.cache?.get(layer.digest);
  if (hit) return { ref: reference, manifestDigest: resolved.digest, layerDigest: layer.digest, data: hit, cached: true };
  let data: Buffer;
  try {
    data = await client.getBlob(ref, layer.digest, max);
  } catch (err) {
    if (err instanceof FakecriError && err.code === 'RESOURCE_EXHAUSTED') {
      throw new FakecriError('RESOURCE_EXHAUSTED', `exceeded maximum allowed artifact size of ${max} bytes`, { cause: err });
    }
    throw err;
  }
  return { ref: reference, manifestDigest: resolved.digest, layerDigest: layer.digest, data, cached: false };
}

export interface PushArtifactOptions {
  configMediaType?: string;
  // The config blob's content (oras: the file given to --config).
  config?: Buffer;
  annotations?: Record<string, string>;
  created?: Date;
}

export interface PushedArtifact {
  ref: ImageReference;
  manifestDigest: string;
  manifest: Manifest;
}

// Publishes a file as `oras push --config config.json:<type> REF FILE` does:
// a v1.0-style OCI manifest whose config carries the type, and one tar-typed
// layer titled with the file's name. CRI-O ≤1.36 accepts only this shape.
export async function pushArtifact(client: RegistryClient, reference: string, fileName: string, data: Buffer, options: PushArtifactOptions = {}): Promise<PushedArtifact> {
  const ref = parseReference(reference, 'artifact reference');
  if (ref.digest) throw new FakecriError('INVALID_ARGUMENT', `artifact reference "${reference}": push to a tag, not a digest`);
  const config = options.config ?? Buffer.from('{}');
  const configDigest = await client.pushBlob(ref, config);
  const layerDigest = await client.pushBlob(ref, data);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: options.configMediaType ?? SECCOMP_CONFIG, digest: configDigest, size: config.length },
    layers: [{ mediaType: OCI_LAYER_TAR, digest: layerDigest, size: data.length, annotations: { 'org.opencontainers.image.title': basename(fileName) } }],
    annotations: { 'org.opencontainers.image.created': (options.created ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'), ...options.annotations },
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  await client.putManifest(ref, ref.tag ?? 'latest', bytes, OCI_MANIFEST);
  return { ref, manifestDigest: digestOf(bytes), manifest };
}
