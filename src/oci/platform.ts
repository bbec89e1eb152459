import { FakecriError } from '../domain/errors';
import type { Descriptor, Index } from './media-types';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

// Node's process.arch in GOARCH words, as registries label index entries.
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };

export function nodePlatform(arch: string = process.arch): Platform {
  const architecture = GOARCH[arch] ?? arch;
  return { os: 'linux', architecture, variant: architecture === 'arm64' ? 'v8' : undefined };
}

// The first entry for our OS and architecture wins, as containers/image picks
// it; a variant only has to match when the entry names one (arm64 is v8).
export function chooseManifest(index: Index, platform: Platform = nodePlatform()): Descriptor {
  const match = (index.manifests ?? []).find((m) => {
    const p = m.platform;
    if (!p || p.os !== platform.os || p.architecture !== platform.architecture) return false;
    return !p.variant || !platform.variant || p.variant === platform.variant;
  });
  if (!match) {
    throw new FakecriError(
      'NOT_FOUND',
      `no image found in manifest list for architecture ${JSON.stringify(platform.architecture)}, variant ${JSON.stringify(platform.variant ?? '')}, OS ${JSON.stringify(platform.os)}`,
    );
  }
  return match;
}
