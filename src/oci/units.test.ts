import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeReference } from '../images/reference';
import { parseChallenge } from './challenge';
import { CredentialStore } from './credentials';
import { chooseManifest, nodePlatform } from './platform';

describe('WWW-Authenticate challenges', () => {
  it('parses Bearer with quoted parameters and Basic', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' },
    });
    expect(parseChallenge('Basic realm="x"')).toEqual({ scheme: 'basic', params: { realm: 'x' } });
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});

describe('docker config.json credentials', () => {
  it('reads auths by host, URL or Docker Hub legacy key; identitytoken too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fakecri-creds-'));
    try {
      const file = join(dir, 'config.json');
      writeFileSync(
        file,
        JSON.stringify({
          auths: {
            'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') },
            'quay.io': { auth: Buffer.from('q:a:b').toString('base64') },
            'https://tok.example/v1/': { identitytoken: 'rt' },
          },
        }),
      );
      const store = CredentialStore.load(file);
      expect(store.get('docker.io')).toEqual({ username: 'hub', password: 'pw' });
      expect(store.get('quay.io')).toEqual({ username: 'q', password: 'a:b' });
      expect(store.get('tok.example')).toEqual({ identityToken: 'rt' });
      expect(store.get('other.example')).toBeUndefined();
      expect(() => CredentialStore.load(join(dir, 'missing.json'))).toThrow(/read auth file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('platform', () => {
  it("maps Node's arch to GOARCH, and picks the index entry for it", () => {
    expect(nodePlatform('x64')).toEqual({ os: 'linux', architecture: 'amd64', variant: undefined });
    expect(nodePlatform('arm64')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    const index = {
      schemaVersion: 2,
      manifests: [
        { mediaType: 'm', digest: 'sha256:1', size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: 'm', digest: 'sha256:2', size: 1, platform: { os: 'windows', architecture: 'amd64' } },
        { mediaType: 'm', digest: 'sha256:3', size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    };
    expect(chooseManifest(index, nodePlatform('x64')).digest).toBe('sha256:3');
    expect(chooseManifest(index, nodePlatform('arm64')).digest).toBe('sha256:1');
    expect(() => chooseManifest(index, nodePlatform('s390x'))).toThrow('no image found in manifest list for architecture "s390x", variant "", OS "linux"');
  });
});

describe('references, as CRI-O normalises artifact refs', () => {
  it.each([
    ['profiles/strict', 'docker.io/profiles/strict:latest'],
    ['quay.io/org/profile:v1', 'quay.io/org/profile:v1'],
    [`localhost:5000/p@sha256:${'c'.repeat(64)}`, `localhost:5000/p@sha256:${'c'.repeat(64)}`],
  ])('%s → %s', (input, out) => expect(normalizeReference(input)).toBe(out));
});
