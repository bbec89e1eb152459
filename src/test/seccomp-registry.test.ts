import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../images/reference';
import { pushArtifact } from '../oci/artifact';
import { digestOf } from '../oci/digest';
import { OCI_INDEX, OCI_MANIFEST } from '../oci/media-types';
import { nodePlatform } from '../oci/platform';
import { RegistryClient } from '../oci/registry-client';
import { type Registry, freePort, pushImage as pushRegistryImage, registryMissing, startCorruptingProxy, startRegistry, type Proxy } from '../testing/registry';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { needs } from './skip';

// Seccomp profiles from OCI artifacts, end to end: a real docker-registry on
// 127.0.0.1, profiles pushed by our client, resolved at CreateContainer and
// read back from verbose ContainerStatus as `crictl inspect` shows them.
const missing = registryMissing();

const V2 = 'seccomp-profile.crio.io';
const V1 = 'seccomp-profile.kubernetes.cri-o.io';

const podWith = (name: string, annotations: Record<string, string>) => {
  const pod = podConfig(name);
  return { ...pod, annotations: { ...pod.annotations, ...annotations } as Record<string, string> };
};

// Profile n: told apart by its defaultErrnoRet.
const profile = (n: number) => ({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: n, syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] });

describe('seccomp from OCI artifacts (real registry)', needs(missing), () => {
  let reg: Registry;
  let proxy: Proxy;
  let push: RegistryClient;
  let refs: Record<string, string>;
  let imageRef: string;
  let h: Harness;

  const pushProfile = async (repo: string, body: string | object, opts: { configMediaType?: string } = {}) => {
    const ref = `${reg.host}/${repo}`;
    const data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const pushed = await pushArtifact(push, ref, 'seccomp.json', data, opts);
    return { ref, digest: pushed.manifestDigest };
  };

  // A container image whose manifest carries annotations.
  const pushImage = async (repo: string, annotations: Record<string, string>) => {
    const ref = `${reg.host}/${repo}`;
    const configDigest = await pushRegistryImage(push, ref, [Buffer.alloc(3000, repo)], { annotations, config: { repo } });
    return { ref, configDigest };
  };

  beforeAll(async () => {
    reg = await startRegistry();
    proxy = await startCorruptingProxy(reg.host);
    push = new RegistryClient({ insecure: [reg.host] });
    refs = {};
    for (let n = 1; n <= 12; n++) refs[`p${n}`] = (await pushProfile(`profiles/p${n}:v1`, profile(n))).ref;
    const image = await pushImage('apps/annotated:v1', {
      [V2]: refs.p3,
      [`${V2}/app`]: refs.p4,
      [`${V2}/POD`]: refs.p5,
    });
    imageRef = image.ref;
    await pushImage('apps/percontainer:v1', { [`${V1}/app`]: refs.p4, [`${V2}/POD`]: refs.p5 });
    await pushImage('apps/podonly:v1', { [`${V1}/POD`]: refs.p5 });
    await pushImage('apps/plain:v1', {});
    h = await startHarness({
      registries: { pull_from: [reg.host], insecure: [reg.host, proxy.host] },
      seccomp: { allowed_annotations: [V2, V1] },
    });
  });
  afterAll(async () => {
    await h?.close();
    await push?.close();
    await proxy?.stop();
    await reg?.stop();
  });

  let pods = 0;
  // A pod with these annotations, and container `name` in it from `image`;
  // answers the container's effective linux.seccomp, or the CRI error.
  async function create(
    h: Harness,
    podAnnotations: Record<string, string>,
    image: string,
    opts: { name?: string; securityContext?: object } = {},
  ): Promise<{ id: string; seccomp: { defaultErrnoRet?: number } | null }> {
    const pod = podWith(`pod${++pods}`, podAnnotations);
    const sandbox = (await h.rt('RunPodSandbox', { config: pod })).pod_sandbox_id as string;
    await h.img('PullImage', { image: { image } });
    const ctr = containerConfig(opts.name ?? 'app', image, { podName: pod.metadata.name, uid: pod.metadata.uid });
    ctr.linux.security_context = { privileged: false, ...opts.securityContext };
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: ctr, sandbox_config: pod })).container_id as string;
    const info = JSON.parse((await h.rt('ContainerStatus', { container_id: id, verbose: true })).info.info);
    return { id, seccomp: info.runtimeSpec.linux.seccomp };
  }
  const errnoOf = async (...args: Parameters<typeof create> extends [Harness, ...infer R] ? R : never) => (await create(h, ...args)).seccomp?.defaultErrnoRet;
  const plain = () => `${reg.host}/apps/plain:v1`;

  describe('precedence, as CRI-O TryPull', () => {
    it('1. the pod annotation for the container wins over everything', async () => {
      expect(await errnoOf({ [`${V2}/app`]: refs.p1, [`${V2}/POD`]: refs.p2 }, imageRef)).toBe(1);
    });
    it('2. then the pod annotation POD', async () => {
      expect(await errnoOf({ [`${V2}/POD`]: refs.p2, [`${V2}/other`]: refs.p1 }, imageRef)).toBe(2);
    });
    it('3. then the image annotation with the plain key', async () => {
      expect(await errnoOf({}, imageRef)).toBe(3);
    });
    it('4. then the image annotation for the container', async () => {
      expect(await errnoOf({}, `${reg.host}/apps/percontainer:v1`)).toBe(4);
    });
    it('5. then the image annotation POD', async () => {
      expect(await errnoOf({}, `${reg.host}/apps/podonly:v1`)).toBe(5);
    });
    it('the v2 key is tried before the v1 key at each step, and v1 alone works', async () => {
      expect(await errnoOf({ [`${V1}/app`]: refs.p6, [`${V2}/app`]: refs.p7 }, plain())).toBe(7);
      expect(await errnoOf({ [`${V1}/app`]: refs.p6 }, plain())).toBe(6);
      expect(await errnoOf({ [`${V1}/POD`]: refs.p8, [`${V2}/POD`]: refs.p9 }, plain())).toBe(9);
      expect(await errnoOf({ [`${V1}/POD`]: refs.p8 }, plain())).toBe(8);
    });
    it('another container of the pod is not matched by a container key', async () => {
      expect(await create(h, { [`${V2}/app`]: refs.p1 }, plain(), { name: 'sidecar' })).toMatchObject({ seccomp: null });
    });
    it('the profile is the runtime-spec form, shown by verbose ContainerStatus', async () => {
      const { seccomp } = await create(h, { [`${V2}/POD`]: refs.p10 }, plain());
      expect(seccomp).toEqual({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 10, syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] });
    });
  });

  describe('gating', () => {
    it('an explicit RuntimeDefault or Localhost wins over the annotations; Unconfined does not', async () => {
      const ann = { [`${V2}/app`]: refs.p1 };
      const rd = await create(h, ann, plain(), { securityContext: { seccomp: { profile_type: 'RuntimeDefault' } } });
      expect(rd.seccomp).toMatchObject({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1 });
      expect(JSON.stringify(rd.seccomp)).toContain('"clone3"');
      const file = join(h.dir, 'local.json');
      writeFileSync(file, JSON.stringify(profile(42)));
      expect((await create(h, ann, plain(), { securityContext: { seccomp: { profile_type: 'Localhost', localhost_ref: file } } })).seccomp?.defaultErrnoRet).toBe(42);
      expect((await create(h, ann, plain(), { securityContext: { seccomp: { profile_type: 'Unconfined' } } })).seccomp?.defaultErrnoRet).toBe(1);
    });
    it('never for a privileged container: it runs unconfined, nothing is pulled', async () => {
      const unreachable = `127.0.0.1:${await freePort()}/nothing/here:v1`;
      const c = await create(h, { [`${V2}/app`]: unreachable }, plain(), { securityContext: { privileged: true } });
      expect(c.seccomp).toBeNull();
    });
    it('seccomp.privileged_profile gives privileged containers that Localhost profile, annotations or not', async () => {
      const file = join(h.dir, 'privileged.json');
      writeFileSync(file, JSON.stringify(profile(61)));
      const priv = await startHarness({ registries: { pull_from: [reg.host], insecure: [reg.host] }, seccomp: { allowed_annotations: [V2], privileged_profile: file } });
      try {
        const c = await create(priv, { [`${V2}/app`]: refs.p1 }, plain(), { securityContext: { privileged: true } });
        expect(c.seccomp?.defaultErrnoRet).toBe(61);
      } finally {
        await priv.close();
      }
    });
    it('never for the sandbox: RunPodSandbox pulls nothing', async () => {
      const unreachable = `127.0.0.1:${await freePort()}/nothing/here:v1`;
      const pod = podWith('sandbox-only', { [`${V2}/POD`]: unreachable });
      await expect(h.rt('RunPodSandbox', { config: pod })).resolves.toHaveProperty('pod_sandbox_id');
    });
    it('only for prefixes in seccomp.allowed_annotations, which is empty by default', async () => {
      const off = await startHarness({ registries: { pull_from: [reg.host], insecure: [reg.host] } });
      const v2only = await startHarness({ registries: { pull_from: [reg.host], insecure: [reg.host] }, seccomp: { allowed_annotations: [V2] } });
      try {
        expect((await create(off, { [`${V2}/app`]: refs.p1 }, imageRef)).seccomp).toBeNull();
        expect((await create(v2only, { [`${V1}/app`]: refs.p6 }, plain())).seccomp).toBeNull();
        expect((await create(v2only, { [`${V1}/app`]: refs.p6, [`${V2}/POD`]: refs.p2 }, plain())).seccomp?.defaultErrnoRet).toBe(2);
      } finally {
        await off.close();
        await v2only.close();
      }
    });
  });

  describe('references and artifacts', () => {
    it('a fake image carries the manifest annotations its catalog entry gives it', async () => {
      const fake = await startHarness({
        registries: { insecure: [reg.host] },
        seccomp: { allowed_annotations: [V2] },
        images: { catalog: [{ match: 'example.com/annotated-fake:*', annotations: { [V2]: refs.p12 } }] },
      });
      try {
        expect((await create(fake, {}, 'example.com/annotated-fake:v1')).seccomp?.defaultErrnoRet).toBe(12);
      } finally {
        await fake.close();
      }
    });

    it('a digest reference', async () => {
      const { digest } = await pushProfile('profiles/bydigest:v1', profile(21));
      expect(await errnoOf({ [`${V2}/POD`]: `${reg.host}/profiles/bydigest@${digest}` }, plain())).toBe(21);
    });

    it('a short reference gets :latest', async () => {
      await pushProfile('profiles/latest:latest', profile(22));
      expect(await errnoOf({ [`${V2}/POD`]: `${reg.host}/profiles/latest` }, plain())).toBe(22);
    });

    it("an index is resolved to this node's platform", async () => {
      const ref = parseReference(`${reg.host}/profiles/multi:v1`);
      const here = nodePlatform();
      const other = here.architecture === 'amd64' ? { os: 'linux', architecture: 'arm64', variant: 'v8' } : { os: 'linux', architecture: 'amd64' };
      const entry = async (n: number, platform: object) => {
        const pushed = await pushArtifact(push, `${reg.host}/profiles/multi:tmp${n}`, 'seccomp.json', Buffer.from(JSON.stringify(profile(n))));
        const bytes = Buffer.from(JSON.stringify(pushed.manifest));
        return { mediaType: OCI_MANIFEST, digest: digestOf(bytes), size: bytes.length, platform };
      };
      const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [await entry(31, other), await entry(32, { os: here.os, architecture: here.architecture })] };
      await push.putManifest(ref, 'v1', Buffer.from(JSON.stringify(index)), OCI_INDEX);
      expect(await errnoOf({ [`${V2}/POD`]: `${reg.host}/profiles/multi:v1` }, plain())).toBe(32);
    });

    it.each([
      ['a wrong config media type', 'wrongtype', profile(1), { configMediaType: 'application/vnd.oci.image.config.v1+json' }, 'wrong config media type "application/vnd.oci.image.config.v1+json", requires "application/vnd.cncf.seccomp-profile.config.v1+json"'],
      ['an oversized artifact', 'oversized', JSON.stringify(profile(1)) + ' '.repeat(2 ** 20), {}, 'exceeded maximum allowed artifact size of 1048576 bytes'],
      ['a profile that is not JSON', 'notjson', 'this is not json {', {}, 'apply profile from bytes: load local profile: decoding seccomp profile failed: '],
      ['a profile without defaultAction', 'noaction', { syscalls: [] }, {}, 'decoding seccomp profile failed: defaultAction is required'],
    ])('%s fails CreateContainer with "setup seccomp: …", caching nothing', async (_what, repo, body, opts, message) => {
      const { ref } = await pushProfile(`profiles/${repo}:v1`, body, opts);
      const err = await create(h, { [`${V2}/POD`]: ref }, plain()).catch((e) => e);
      expect(err.code).toBe(status.UNKNOWN);
      expect(err.details).toMatch(/^setup seccomp: /);
      expect(err.details).toContain(message);
      if (!message.startsWith('apply') && !message.startsWith('decoding')) expect(err.details).toContain('try to pull OCI artifact seccomp profile: pull OCI artifact: ');
      expect(cached()).not.toContain(repo);
    });

    it('newer CRI-O: config_media_type = "" accepts any artifact type but still refuses a plain image', async () => {
      const any = await startHarness({ registries: { pull_from: [reg.host], insecure: [reg.host] }, seccomp: { allowed_annotations: [V2], config_media_type: '' } });
      try {
        const { ref } = await pushProfile('profiles/othertype:v1', profile(41), { configMediaType: 'application/vnd.example.profile+json' });
        expect((await create(any, { [`${V2}/POD`]: ref }, plain())).seccomp?.defaultErrnoRet).toBe(41);
        const err = await create(any, { [`${V2}/POD`]: plain() }, plain()).catch((e) => e);
        expect(err.details).toContain('reference is a container image, not an OCI artifact');
      } finally {
        await any.close();
      }
    });

    // The profile cache is keyed by layer digest; these files are its names.
    const cached = (): string[] => {
      const dir = join(h.stateDir, 'seccomp', 'artifacts');
      return existsSync(dir) ? readdirSync(dir) : [];
    };

    it('a digest mismatch (corrupted blob through a proxy) fails and caches nothing; a good pull is cached and then used', async () => {
      const { ref } = await pushProfile('profiles/tampered:v1', profile(51));
      const layerDigest = (await push.getManifest(parseReference(ref))).bytes.toString().match(/"layers":\[\{[^}]*"digest":"(sha256:[a-f0-9]{64})"/)![1];
      const viaProxy = ref.replace(reg.host, proxy.host);
      const err = await create(h, { [`${V2}/POD`]: viaProxy }, plain()).catch((e) => e);
      expect(err.details).toMatch(/^setup seccomp: try to pull OCI artifact seccomp profile: pull OCI artifact: verify digest of layer: sha256 mismatch between real layer bytes \([a-f0-9]{64}\) and manifest descriptor \([a-f0-9]{64}\)$/);
      expect(cached()).not.toContain(layerDigest.replace(':', '-'));
      // Straight from the registry it pulls, and is kept by digest...
      expect(await errnoOf({ [`${V2}/POD`]: ref }, plain())).toBe(51);
      expect(cached()).toContain(layerDigest.replace(':', '-'));
      // ...so the proxy's corrupted blob is never fetched again.
      expect(await errnoOf({ [`${V2}/POD`]: viaProxy }, plain())).toBe(51);
    });

    it('an unreachable registry fails with the cause', async () => {
      const port = await freePort();
      const off = await startHarness({ registries: { insecure: [`127.0.0.1:${port}`] }, seccomp: { allowed_annotations: [V2] } });
      try {
        await off.img('PullImage', { image: { image: 'busybox' } });
        const pod = podWith('unreach', { [`${V2}/POD`]: `127.0.0.1:${port}/x/y:v1` });
        const sandbox = (await off.rt('RunPodSandbox', { config: pod })).pod_sandbox_id;
        const err = await off.rt('CreateContainer', { pod_sandbox_id: sandbox, config: containerConfig('app', 'busybox', { podName: 'unreach', uid: 'uid-unreach' }), sandbox_config: pod }).catch((e) => e);
        expect(err.details).toBe(
          `setup seccomp: try to pull OCI artifact seccomp profile: pull OCI artifact: pinging container registry 127.0.0.1:${port}: GET http://127.0.0.1:${port}/v2/: connect ECONNREFUSED 127.0.0.1:${port}`,
        );
        // The name was released: the kubelet's retry meets the same cause,
        // not "failed to reserve container name".
        const again = await off.rt('CreateContainer', { pod_sandbox_id: sandbox, config: containerConfig('app', 'busybox', { podName: 'unreach', uid: 'uid-unreach' }), sandbox_config: pod }).catch((e) => e);
        expect(again.details).toMatch(/^setup seccomp: /);
      } finally {
        await off.close();
      }
    });

    it('a registry that is not HTTPS is refused unless listed insecure', async () => {
      const strict = await startHarness({ registries: { pull_from: [] }, seccomp: { allowed_annotations: [V2] } });
      try {
        await strict.img('PullImage', { image: { image: 'busybox' } });
        const err = await create(strict, { [`${V2}/POD`]: refs.p1 }, 'busybox').catch((e) => e);
        expect(err.details).toContain(`pinging container registry ${reg.host}: GET https://${reg.host}/v2/`);
      } finally {
        await strict.close();
      }
    });
  });

  describe('Localhost and RuntimeDefault', () => {
    it("a missing Localhost profile fails with CRI-O's words", async () => {
      const err = await create(h, {}, plain(), { securityContext: { seccomp: { profile_type: 'Localhost', localhost_ref: '/var/lib/kubelet/seccomp/x.json' } } }).catch((e) => e);
      expect(err.details).toBe('setup seccomp: unable to load local profile "/var/lib/kubelet/seccomp/x.json": open /var/lib/kubelet/seccomp/x.json: no such file or directory');
    });
    it('RuntimeDefault is the built-in profile; CAP_SYS_ADMIN lets clone create namespaces', async () => {
      const plainCaps = (await create(h, {}, plain(), { securityContext: { seccomp: { profile_type: 'RuntimeDefault' } } })).seccomp as { syscalls: { names: string[]; action: string; errnoRet?: number }[] };
      const admin = (await create(h, {}, plain(), { securityContext: { seccomp: { profile_type: 'RuntimeDefault' }, capabilities: { add_capabilities: ['SYS_ADMIN'] } } })).seccomp as typeof plainCaps;
      const allows = (s: typeof plainCaps, name: string) => s.syscalls.some((c) => c.action === 'SCMP_ACT_ALLOW' && c.names.includes(name) && !('args' in c));
      expect(allows(plainCaps, 'read')).toBe(true);
      expect(allows(plainCaps, 'mount')).toBe(false);
      expect(plainCaps.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
      expect(allows(admin, 'mount')).toBe(true);
      expect(allows(admin, 'unshare')).toBe(true);
    });
    it('RuntimeDefault from a configured file', async () => {
      const file = join(h.dir, 'default.json');
      writeFileSync(file, JSON.stringify(profile(77)));
      const other = await startHarness({ seccomp: { default_profile: file } });
      try {
        await other.img('PullImage', { image: { image: 'busybox' } });
        expect((await create(other, {}, 'busybox', { securityContext: { seccomp: { profile_type: 'RuntimeDefault' } } })).seccomp?.defaultErrnoRet).toBe(77);
      } finally {
        await other.close();
      }
    });
    it('unset and Unconfined give no profile: null', async () => {
      expect((await create(h, {}, plain())).seccomp).toBeNull();
      expect((await create(h, {}, plain(), { securityContext: { seccomp: { profile_type: 'Unconfined' } } })).seccomp).toBeNull();
    });
    it('the resolved profile is kept with the container across a restart', async () => {
      const { id } = await create(h, { [`${V2}/POD`]: refs.p11 }, plain());
      await h.restart();
      const info = JSON.parse((await h.rt('ContainerStatus', { container_id: id, verbose: true })).info.info);
      expect(info.runtimeSpec.linux.seccomp.defaultErrnoRet).toBe(11);
    });
  });

  describe('images pulled from a real registry', () => {
    it('carry the real config digest as id, the real layers and manifest annotations', async () => {
      const { ref, configDigest } = await pushImage('apps/real:v2', { 'org.opencontainers.image.source': 'https://example.com/real' });
      const id = (await h.img('PullImage', { image: { image: ref } })).image_ref;
      expect(id).toBe(configDigest);
      const st = (await h.img('ImageStatus', { image: { image: ref } })).image;
      expect(st.size).toBe('3000');
      const manifestDigest = (await push.getManifest(parseReference(ref))).digest;
      expect(st.repo_digests).toEqual([`${reg.host}/apps/real@${manifestDigest}`]);
      expect(h.server.app.images.find(ref)?.annotations).toEqual({ 'org.opencontainers.image.source': 'https://example.com/real' });
    });
    it('a missing image is NOT_FOUND with the registry\'s words', async () => {
      const err = await h.img('PullImage', { image: { image: `${reg.host}/apps/absent:v1` } }).catch((e) => e);
      expect(err.code).toBe(status.NOT_FOUND);
      expect(err.details).toContain(`failed to pull and unpack image "${reg.host}/apps/absent:v1"`);
      expect(err.details).toContain('manifest unknown');
    });
  });
});
