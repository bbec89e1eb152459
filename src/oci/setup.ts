import type { Config } from '../config/config';
import { CredentialStore } from './credentials';
import type { RegistryClientOptions } from './registry-client';

// The [registries] config as client options; the auth file is read once, at start.
export function registryOptions(config: Config): RegistryClientOptions {
  return {
    insecure: config.registries.insecure,
    credentials: CredentialStore.load(config.registries.auth_file || undefined),
    timeoutMs: config.registries.timeout_seconds * 1000,
  };
}
