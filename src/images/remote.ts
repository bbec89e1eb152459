import type { ImageManifest } from './catalog';
import type { ImageReference } from './reference';

// Credentials the kubelet sends with PullImage (CRI AuthConfig), from the
// pod's image pull secrets.
export interface PullAuth {
  username?: string;
  password?: string;
  // base64 of "user:password"
  auth?: string;
  identity_token?: string;
  registry_token?: string;
}

// Images fetched from a real registry instead of the catalog. undefined:
// not one of those registries, the catalog answers.
export interface RemoteImages {
  resolve(ref: ImageReference, auth?: PullAuth): Promise<ImageManifest | undefined>;
}
