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
      return {
        manifestDigest: image.manifestDigest,
        id: image.configDigest,
        layers: image.layers,
        size: image.layers.reduce((sum, l) => sum + l.size, 0),
        annotations: image.annotations,
        config: image.config,
        ...(image.user ? { user: image.user } : {}),
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
