import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../images/reference';
import { pullArtifact, pushArtifact } from '../oci/artifact';
import { CredentialStore } from '../oci/credentials';
import { RegistryClient } from '../oci/registry-client';
import { ArtifactCache } from '../seccomp/artifact-cache';
import { DEFAULT_PROFILE } from '../seccomp/default-profile';
import { SeccompResolver } from '../seccomp/resolver';
import { type Registry, type TokenIssuer, registryMissing, skopeoMissing, startRegistry, startTokenIssuer } from '../testing/registry';
import { runCli } from './cli';
import { containerConfig, podConfig, startHarness } from './harness';
import { needs } from './skip';

// Logging in to real registries: htpasswd Basic, and token auth with our own
// token issuer; the CLI, cross-checked with skopeo; and CRI-O's log lines.
const missing = registryMissing();

const PROFILE = Buffer.from(JSON.stringify({ defaultAction: 'SCMP_ACT_LOG', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ALLOW' }] }));
const V2 = 'seccomp-profile.crio.io';

function authFile(dir: string, host: string, entry: object): string {
  const file = join(dir, `auth-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ auths: { [host]: entry } }));
  return file;
}

async function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = runCli(args);
  const code = await child.exited;
  return { code, out: child.stderr() };
}

describe('registry auth', needs(missing), () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fakecri-auth-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('htpasswd Basic', () => {
    let reg: Registry;
    beforeAll(async () => {
      reg = await startRegistry({ htpasswd: { user: 'alice', password: 's3cret' } });
    });
    afterAll(() => reg?.stop());

    it('anonymous is 401 with the registry\'s words; Basic from the CLI and from a docker config.json works', async () => {
      const anon = new RegistryClient({ insecure: [reg.host] });
      const err = await pullArtifact(anon, `${reg.host}/p/basic:v1`, { configMediaType: '' }).catch((e) => e);
      expect(err.code).toBe('UNAUTHENTICATED');
      expect(err.message).toBe(`reading manifest v1 in ${reg.host}/p/basic: unauthorized: authentication required`);
      await anon.close();

      const file = join(dir, 'basic.json');
      writeFileSync(file, PROFILE);
      const pushed = await cli(['artifact', 'push', '--insecure', '-u', 'alice', '-p', 's3cret', `${reg.host}/p/basic:v1`, file]);
      expect(pushed).toMatchObject({ code: 0 });
      const wrong = await cli(['artifact', 'push', '--insecure', '-u', 'alice', '-p', 'nope', `${reg.host}/p/basic:v1`, file]);
      expect(wrong.code).toBe(1);
      expect(wrong.out).toContain('unauthorized');

      const creds = CredentialStore.load(authFile(dir, reg.host, { auth: Buffer.from('alice:s3cret').toString('base64') }));
      const client = new RegistryClient({ insecure: [reg.host], credentials: creds });
      expect((await pullArtifact(client, `${reg.host}/p/basic:v1`, { configMediaType: 'application/vnd.cncf.seccomp-profile.config.v1+json' })).data).toEqual(PROFILE);
      await client.close();
    });

    it('CreateContainer: 401 without credentials, the profile with registries.auth_file', async () => {
      const file = join(dir, 'basic2.json');
      writeFileSync(file, PROFILE);
      expect((await cli(['artifact', 'push', '--insecure', '-u', 'alice', '-p', 's3cret', `${reg.host}/p/cri:v1`, file])).code).toBe(0);
      const make = async (auth_file: string) => {
        const h = await startHarness({ registries: { insecure: [reg.host], auth_file }, seccomp: { allowed_annotations: [V2] } });
        try {
          await h.img('PullImage', { image: { image: 'busybox' } });
          const pod = podConfig('p');
          const annotated = { ...pod, annotations: { ...pod.annotations, [`${V2}/POD`]: `${reg.host}/p/cri:v1` } };
          const sandbox = (await h.rt('RunPodSandbox', { config: annotated })).pod_sandbox_id;
          const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: containerConfig('c', 'busybox'), sandbox_config: annotated })).container_id;
          return JSON.parse((await h.rt('ContainerStatus', { container_id: id, verbose: true })).info.info).runtimeSpec.linux.seccomp;
        } finally {
          await h.close();
        }
      };
      const err = await make(authFile(dir, 'elsewhere.example', { auth: 'eDp5' })).catch((e) => e);
      expect(err.details).toBe(
        `setup seccomp: try to pull OCI artifact seccomp profile: pull OCI artifact: reading manifest v1 in ${reg.host}/p/cri: unauthorized: authentication required`,
      );
      expect(await make(authFile(dir, `http://${reg.host}/v1/`, { auth: Buffer.from('alice:s3cret').toString('base64') }))).toEqual({
        defaultAction: 'SCMP_ACT_LOG',
        syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ALLOW' }],
      });
    });
  });

  describe('PullImage from a registry in pull_from', () => {
    let reg: Registry;
    beforeAll(async () => {
      reg = await startRegistry({ htpasswd: { user: 'carol', password: 'pw' } });
    });
    afterAll(() => reg?.stop());

    it("uses the kubelet's pull secret (CRI AuthConfig), and is 401 without it", async () => {
      const file = join(dir, 'img.json');
      writeFileSync(file, PROFILE);
      // An artifact is an image manifest too: enough for the pull path.
      const pushed = await cli(['artifact', 'push', '--insecure', '-u', 'carol', '-p', 'pw', `${reg.host}/apps/secret:v1`, file]);
      expect(pushed.code).toBe(0);
      const h = await startHarness({ registries: { pull_from: [reg.host], insecure: [reg.host] } });
      try {
        const image = { image: `${reg.host}/apps/secret:v1` };
        const denied = await h.img('PullImage', { image }).catch((e) => e);
        expect(denied.details).toBe(
          `failed to pull and unpack image "${reg.host}/apps/secret:v1": failed to resolve reference "${reg.host}/apps/secret:v1": reading manifest v1 in ${reg.host}/apps/secret: unauthorized: authentication required`,
        );
        const ok = await h.img('PullImage', { image, auth: { auth: Buffer.from('carol:pw').toString('base64') } });
        expect(ok.image_ref).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
      } finally {
        await h.close();
      }
    });
  });

  describe('token auth', () => {
    let issuer: TokenIssuer;
    let reg: Registry;
    beforeAll(async () => {
      issuer = await startTokenIssuer({ bob: 'pw' }, { 'refresh-123': 'bob' });
      reg = await startRegistry({ token: issuer });
    });
    afterAll(async () => {
      await reg?.stop();
      await issuer?.stop();
    });

    it('push and pull with Bearer tokens from the challenge; tokens are cached per host and scope', async () => {
      const client = new RegistryClient({ insecure: [reg.host], override: { username: 'bob', password: 'pw' } });
      await pushArtifact(client, `${reg.host}/p/tok:v1`, 'seccomp.json', PROFILE);
      const before = issuer.issued.length;
      for (let i = 0; i < 3; i++) expect((await pullArtifact(client, `${reg.host}/p/tok:v1`, { configMediaType: 'application/vnd.cncf.seccomp-profile.config.v1+json' })).data).toEqual(PROFILE);
      expect(issuer.issued.slice(before)).toEqual(['GET bob repository:p/tok:pull']);
      expect(issuer.issued.slice(0, before)).toContain('GET bob repository:p/tok:pull,push');
      await client.close();
    });

    it('an identitytoken from config.json is exchanged as an OAuth2 refresh token', async () => {
      const creds = CredentialStore.load(authFile(dir, reg.host, { identitytoken: 'refresh-123' }));
      const client = new RegistryClient({ insecure: [reg.host], credentials: creds });
      const bob = new RegistryClient({ insecure: [reg.host], override: { username: 'bob', password: 'pw' } });
      await pushArtifact(bob, `${reg.host}/p/idtok:v1`, 'seccomp.json', PROFILE);
      expect((await pullArtifact(client, `${reg.host}/p/idtok:v1`, { configMediaType: '' })).data).toEqual(PROFILE);
      expect(issuer.issued).toContain('POST bob repository:p/idtok:pull');
      await client.close();
      await bob.close();
    });

    it('without credentials the token server refuses, and the error says so', async () => {
      const anon = new RegistryClient({ insecure: [reg.host] });
      const err = await pullArtifact(anon, `${reg.host}/p/tok:v1`, { configMediaType: '' }).catch((e) => e);
      expect(err.code).toBe('UNAUTHENTICATED');
      expect(err.message).toBe(`requesting bearer token for ${reg.host}: unauthorized: bad credentials`);
      await anon.close();
    });
  });

  describe('anonymous', () => {
    let reg: Registry;
    beforeAll(async () => {
      reg = await startRegistry();
    });
    afterAll(() => reg?.stop());

    it('skopeo reads what `fakecri artifact push` wrote; `fakecri artifact pull` prints it back', needs(skopeoMissing()), async () => {
      const file = join(dir, 'seccomp.json');
      writeFileSync(file, PROFILE);
      const pushed = await cli(['artifact', 'push', '--insecure', `${reg.host}/profiles/x:v1`, file]);
      expect(pushed.code).toBe(0);
      const digest = /Digest: (sha256:[a-f0-9]{64})/.exec(pushed.out)![1];
      const skopeo = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/profiles/x:v1`], { encoding: 'utf8' });
      expect(skopeo.status, skopeo.stderr).toBe(0);
      const m = JSON.parse(skopeo.stdout);
      expect(m).toMatchObject({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.cncf.seccomp-profile.config.v1+json', size: 2, digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', size: PROFILE.length, annotations: { 'org.opencontainers.image.title': 'seccomp.json' } }],
      });
      expect(m.artifactType).toBeUndefined();
      const byDigest = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/profiles/x@${digest}`], { encoding: 'utf8' });
      expect(byDigest.stdout).toBe(skopeo.stdout);
      const pulled = spawnSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'cli', 'main.js'), 'artifact', 'pull', '--insecure', `${reg.host}/profiles/x@${digest}`]);
      expect(pulled.status).toBe(0);
      expect(pulled.stdout).toEqual(PROFILE);
    });

    it('logs the lines CRI-O logs, and caches by digest', async () => {
      const client = new RegistryClient({ insecure: [reg.host] });
      await pushArtifact(client, `${reg.host}/profiles/logged:v1`, 'seccomp.json', PROFILE);
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(chunk.toString()).msg);
          done();
        },
      });
      const cacheDir = join(dir, 'cache');
      const resolver = new SeccompResolver({
        allowedAnnotations: [V2, 'seccomp-profile.kubernetes.cri-o.io'],
        defaultProfile: DEFAULT_PROFILE,
        privilegedProfile: '',
        configMediaType: 'application/vnd.cncf.seccomp-profile.config.v1+json',
        cache: new ArtifactCache(cacheDir),
        client,
        log: pino({ level: 'info' }, sink),
      });
      const ref = `${reg.host}/profiles/logged:v1`;
      const req = (pod: Record<string, string>, image: Record<string, string> = {}) => ({ containerName: 'ctr', privileged: false, podAnnotations: pod, imageAnnotations: image });
      await resolver.setup(req({ [`${V2}/ctr`]: ref }));
      await resolver.setup(req({ 'seccomp-profile.kubernetes.cri-o.io/POD': ref }));
      await resolver.setup(req({}, { [V2]: ref }));
      await resolver.setup(req({}, { [`${V2}/ctr`]: ref }));
      await resolver.setup(req({}, { [`${V2}/POD`]: ref }));
      await new Promise((r) => setImmediate(r));
      expect(lines).toEqual([
        `Found container specific seccomp profile annotation: ${V2}/ctr=${ref}`,
        `Pulling OCI artifact from ref: ${ref}`,
        `Retrieved OCI artifact seccomp profile of len: ${PROFILE.length}`,
        `Found pod specific seccomp profile annotation: seccomp-profile.kubernetes.cri-o.io=${ref}`,
        `Pulling OCI artifact from ref: ${ref}`,
        `Retrieved OCI artifact seccomp profile of len: ${PROFILE.length}`,
        `Found image specific seccomp profile annotation: ${V2}=${ref}`,
        `Pulling OCI artifact from ref: ${ref}`,
        `Retrieved OCI artifact seccomp profile of len: ${PROFILE.length}`,
        `Found image specific seccomp profile annotation for container ctr: ${V2}=${ref}`,
        `Pulling OCI artifact from ref: ${ref}`,
        `Retrieved OCI artifact seccomp profile of len: ${PROFILE.length}`,
        `Found image specific seccomp profile annotation for pod: ${V2}=${ref}`,
        `Pulling OCI artifact from ref: ${ref}`,
        `Retrieved OCI artifact seccomp profile of len: ${PROFILE.length}`,
      ]);
      const layer = JSON.parse((await client.getManifest(parseReference(ref))).bytes.toString()).layers[0].digest;
      expect(readFileSync(join(cacheDir, layer.replace(':', '-')))).toEqual(PROFILE);
      await client.close();
    });
  });
});
