import { gunzipSync } from 'node:zlib';
import type { ImageManifest } from '../images/catalog';
import type { ImageReference } from '../images/reference';
import type { PullAuth, RemoteImages } from '../images/remote';
import { FakecriError } from '../domain/errors';
import { formatReference } from '../images/reference';
import type { Credentials } from './credentials';
import { fetchImage } from './image';
import { RegistryClient, type RegistryClientOptions } from './registry-client';

// PullImage for registries listed in registries.pull_from: the real manifest
// (through an index to this node's platform), the config digest as id, the
// real layers and annotations. Layer bytes are accounted, not downloaded.
export class RegistryImageSource implements RemoteImages {
  private readonly client: RegistryClient;

  constructor(
    private readonly pullFrom: readonly string[],
    private readonly options: RegistryClientOptions,
  ) {
    this.client = new RegistryClient(options);
  }

  async resolve(ref: ImageReference, auth?: PullAuth): Promise<ImageManifest | undefined> {
    if (!this.pullFrom.includes(ref.domain)) return undefined;
    const creds = toCredentials(auth);
    // The kubelet's pull secret is for this pull only: its own client, so
    // its tokens are not reused for pulls without it.
    const client = creds ? new RegistryClient({ ...this.options, override: creds }) : this.client;
    try {
      const image = await fetchImage(client, ref);
      const checkpoint = CHECKPOINT_ANNOTATION in image.annotations ? await checkpointLayer(client, ref, image.layers) : undefined;
      return {
        manifestDigest: image.manifestDigest,
        id: image.configDigest,
        layers: image.layers,
        size: image.layers.reduce((sum, l) => sum + l.size, 0),
        annotations: image.annotations,
        config: image.config,
        ...(image.user ? { user: image.user } : {}),
        ...(checkpoint ? { checkpoint } : {}),
      };
    } catch (err) {
      const e = err as FakecriError;
      const name = formatReference(ref);
      throw new FakecriError(e.code ?? 'UNKNOWN', `failed to pull and unpack image "${name}": failed to resolve reference "${name}": ${e.message}`, { cause: err });
    } finally {
      if (client !== this.client) await client.close();
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

// CRI-O's mark of an image built from a checkpoint archive (`kubectl`'s
// checkpoint, then buildah with this annotation): its one layer holds the
// archive's files, which fakecri downloads, unlike other layers.
export const CHECKPOINT_ANNOTATION = 'io.kubernetes.cri-o.annotations.checkpoint.name';
const MAX_CHECKPOINT = 1024 ** 3;

async function checkpointLayer(client: RegistryClient, ref: ImageReference, layers: { digest: string }[]): Promise<Buffer> {
  if (layers.length !== 1) throw new FakecriError('INVALID_ARGUMENT', `checkpoint image has ${layers.length} layers, not the one a checkpoint image holds`);
  const blob = await client.getBlob(ref, layers[0].digest, MAX_CHECKPOINT);
  // gzip, or a plain tar.
  if (blob[0] !== 0x1f || blob[1] !== 0x8b) return blob;
  try {
    return gunzipSync(blob, { maxOutputLength: MAX_CHECKPOINT });
  } catch (err) {
    throw new FakecriError('INVALID_ARGUMENT', `checkpoint image layer ${layers[0].digest}: ${(err as Error).message}`);
  }
}

function toCredentials(auth?: PullAuth): Credentials | undefined {
  if (!auth) return undefined;
  const creds: Credentials = {};
  if (auth.auth) {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) {
      creds.username = decoded.slice(0, colon);
      creds.password = decoded.slice(colon + 1);
    }
  }
  if (auth.username) creds.username = auth.username;
  if (auth.password) creds.password = auth.password;
  if (auth.identity_token) creds.identityToken = auth.identity_token;
  if (auth.registry_token) creds.registryToken = auth.registry_token;
  return Object.keys(creds).length ? creds : undefined;
}
