import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config';
import { RegistryClient, type RegistryClientOptions } from '../oci/registry-client';
import { ArtifactCache } from './artifact-cache';
import { DEFAULT_PROFILE } from './default-profile';
import { SeccompResolver, loadProfileFile } from './resolver';

// The resolver for one fakecri: the [seccomp] config, the registry client,
// and the artifact cache under <state-dir>/seccomp/artifacts.
export function createSeccompResolver(config: Config, stateDir: string, registry: RegistryClientOptions, log: Logger): SeccompResolver {
  const s = config.seccomp;
  const defaultProfile = s.default_profile ? loadProfileFile(s.default_profile) : DEFAULT_PROFILE;
  log.info(s.default_profile ? `Successfully loaded seccomp profile ${JSON.stringify(s.default_profile)}` : 'Using the internal default seccomp profile');
  return new SeccompResolver({
    allowedAnnotations: s.allowed_annotations,
    defaultProfile,
    privilegedProfile: s.privileged_profile,
    configMediaType: s.config_media_type,
    cache: new ArtifactCache(join(stateDir, 'seccomp', 'artifacts')),
    client: new RegistryClient(registry),
    log,
  });
}
