import { readRegularFile } from '../domain/safe-files';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FakecriError } from '../domain/errors';

export interface Credentials {
  username?: string;
  password?: string;
  // An OAuth2 refresh token (docker login against a token server).
  identityToken?: string;
  // A bearer token used as is (CRI AuthConfig.registry_token).
  registryToken?: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

// $DOCKER_CONFIG/config.json, else ~/.docker/config.json: where `docker login`
// and `oras login` write.
export function defaultAuthFile(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

// Credentials by registry host, read from a docker config.json. A missing
// default file is no credentials; a named file that is missing or bad is an error.
export class CredentialStore {
  private constructor(private readonly auths: DockerConfig['auths'] & object) {}

  static empty(): CredentialStore {
    return new CredentialStore({});
  }

  static load(file: string | undefined): CredentialStore {
    const path = file || defaultAuthFile();
    let text: string;
    try {
      // A regular file, read without blocking, at most 4 MiB.
      text = readRegularFile(path, 4 * 2 ** 20, { followLinks: true }).toString('utf8');
    } catch (err) {
      if (!file && (err as NodeJS.ErrnoException).code === 'ENOENT') return CredentialStore.empty();
      throw new FakecriError('INVALID_ARGUMENT', `read auth file ${path}: ${(err as Error).message}`);
    }
    let parsed: DockerConfig;
    try {
      parsed = JSON.parse(text) as DockerConfig;
    } catch {
      // V8's message quotes the text around the error: credentials.
      throw new FakecriError('INVALID_ARGUMENT', `auth file ${path} is not JSON`);
    }
    return new CredentialStore(parsed.auths ?? {});
  }

  // `auths` keys are written as a host, a URL, or Docker Hub's legacy URL.
  get(domain: string): Credentials | undefined {
    const wanted = domain === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io', 'registry-1.docker.io'] : [domain];
    for (const [key, entry] of Object.entries(this.auths)) {
      const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
      if (!wanted.includes(key) && !wanted.includes(host)) continue;
      const creds: Credentials = {};
      if (entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0) throw new FakecriError('INVALID_ARGUMENT', `auth for ${key} is not base64 of user:password`);
        creds.username = decoded.slice(0, colon);
        creds.password = decoded.slice(colon + 1);
      }
      if (entry.username) creds.username = entry.username;
      if (entry.password) creds.password = entry.password;
      if (entry.identitytoken) creds.identityToken = entry.identitytoken;
      return creds;
    }
    return undefined;
  }
}
