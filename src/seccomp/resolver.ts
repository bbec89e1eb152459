import type { Logger } from 'pino';
import { FakecriError } from '../domain/errors';
import { readRegularFile } from '../domain/safe-files';
import { MAX_ARTIFACT_SIZE, pullArtifact } from '../oci/artifact';
import type { RegistryClient } from '../oci/registry-client';
import { filterDisallowed, findProfileAnnotation } from './annotations';
import type { SeccompRequest } from '../pods/seccomp-hook';
import type { ContainerSeccomp } from '../store/container';
import type { ArtifactCache } from './artifact-cache';
import { boundingSet } from './capabilities';
import { type LinuxSeccomp, type Profile, nativeArch, parseProfile, toLinuxSeccomp } from './profile';

export interface SeccompResolverOptions {
  // Annotation prefixes honoured (runtime allowed_annotations); none by default.
  allowedAnnotations: readonly string[];
  // RuntimeDefault: the built-in profile or the configured file, loaded at start.
  defaultProfile: Profile;
  // CRI-O's privileged_seccomp_profile: privileged containers run with this
  // Localhost profile, or with none when it is "".
  privilegedProfile: string;
  // The config media type an artifact must have; "" checks none.
  configMediaType: string;
  cache: ArtifactCache;
  client: RegistryClient;
  log: Logger;
  arch?: string;
}

// What a container's seccomp field means, following CRI-O's Setup
// (internal/config/seccomp/seccomp.go) and server/container_create.go
// setupSeccomp: an explicit RuntimeDefault or Localhost always wins; the
// OCI-artifact annotations count only when the field is unset or Unconfined,
// and never for a privileged container.
export class SeccompResolver {
  private readonly arch: string;
  private readonly interned = new Map<string, LinuxSeccomp>();

  constructor(private readonly options: SeccompResolverOptions) {
    this.arch = options.arch ?? nativeArch();
  }

  async setup(req: SeccompRequest): Promise<ContainerSeccomp> {
    try {
      return await this.resolve(req);
    } catch (err) {
      throw new FakecriError('UNKNOWN', `setup seccomp: ${(err as Error).message}`, { cause: err });
    }
  }

  // Identical profiles share one object: thousands of RuntimeDefault
  // containers hold one profile in memory.
  intern(spec: LinuxSeccomp): LinuxSeccomp {
    const key = JSON.stringify(spec);
    const known = this.interned.get(key);
    if (known) return known;
    this.interned.set(key, spec);
    return spec;
  }

  private async resolve(req: SeccompRequest): Promise<ContainerSeccomp> {
    let field = req.field ?? undefined;
    if (req.privileged) {
      if (!this.options.privilegedProfile) return { profile: 'Unconfined', spec: null };
      field = { profile_type: 'Localhost', localhost_ref: this.options.privilegedProfile };
    }
    const bounding = boundingSet(req.capabilities?.add_capabilities, req.capabilities?.drop_capabilities, req.privileged);
    const type = field?.profile_type ?? 'RuntimeDefault';
    if (!field || type === 'Unconfined') {
      const allowed = this.options.allowedAnnotations;
      const found = findProfileAnnotation(req.containerName, filterDisallowed(req.podAnnotations, allowed), filterDisallowed(req.imageAnnotations, allowed));
      if (found) {
        this.options.log.info(found.message);
        const spec = await this.pull(found.ref, bounding);
        return { profile: found.ref, spec };
      }
      return { profile: 'Unconfined', spec: null };
    }
    if (type === 'RuntimeDefault') return { profile: 'RuntimeDefault', spec: this.intern(toLinuxSeccomp(this.options.defaultProfile, bounding, this.arch)) };
    const path = field.localhost_ref ?? '';
    let bytes: Buffer;
    try {
      bytes = readProfile(path);
    } catch (err) {
      throw new Error(`unable to load local profile ${JSON.stringify(path)}: ${goFileError(err, path)}`);
    }
    return { profile: path, spec: this.apply(bytes, bounding) };
  }

  private async pull(ref: string, bounding: string[]): Promise<LinuxSeccomp> {
    const { client, cache, configMediaType, log } = this.options;
    let pulled;
    try {
      log.info(`Pulling OCI artifact from ref: ${ref}`);
      pulled = await pullArtifact(client, ref, { configMediaType, cache });
    } catch (err) {
      throw new Error(`try to pull OCI artifact seccomp profile: pull OCI artifact: ${(err as Error).message}`, { cause: err });
    }
    log.info(`Retrieved OCI artifact seccomp profile of len: ${pulled.data.length}`);
    const spec = this.apply(pulled.data, bounding);
    // Only a profile that pulled, verified and parsed is kept.
    if (!pulled.cached) cache.put(pulled.layerDigest, pulled.data);
    return spec;
  }

  private apply(bytes: Buffer, bounding: string[]): LinuxSeccomp {
    try {
      return this.intern(toLinuxSeccomp(parseProfile(bytes), bounding, this.arch));
    } catch (err) {
      throw new Error(`apply profile from bytes: load local profile: ${(err as Error).message}`, { cause: err });
    }
  }
}

// Loads the RuntimeDefault profile from a file at start (CRI-O's
// seccomp_profile), or the built-in one.
export function loadProfileFile(path: string): Profile {
  let bytes: Buffer;
  try {
    bytes = readProfile(path);
  } catch (err) {
    throw new FakecriError('INVALID_ARGUMENT', `open seccomp profile: ${goFileError(err, path)}`);
  }
  try {
    return parseProfile(bytes);
  } catch (err) {
    throw new FakecriError('INVALID_ARGUMENT', `seccomp profile ${path}: ${(err as Error).message}`);
  }
}

// A profile file the kubelet or the config names: a regular file only, read
// without blocking (a FIFO or /dev/zero named as a profile would freeze
// fakecri or fill its memory), at most 1 MiB, as an artifact's profile. Symlinks are followed, as
// os.ReadFile follows them: this only reads.
function readProfile(path: string): Buffer {
  return readRegularFile(path, MAX_ARTIFACT_SIZE, { followLinks: true });
}

// Go's os error text ("open /x: no such file or directory"), which the
// kubelet shows and users grep for.
function goFileError(err: unknown, path: string): string {
  if (err instanceof FakecriError) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    ENOTDIR: 'not a directory',
    ELOOP: 'too many levels of symbolic links',
  };
  if (code === 'EISDIR') return `read ${path}: is a directory`;
  return `open ${path}: ${(code && words[code]) ?? (err as Error).message}`;
}
