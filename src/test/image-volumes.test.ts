import { status } from '@grpc/grpc-js';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../oci/registry-client';
import { type Registry, pushImage, registryMissing, startRegistry } from '../testing/registry';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { needs } from './skip';

// Image volumes (KEP-4639): a CreateContainer mount with `image` set shows
// that image's files, read-only, at container_path; seen through ExecSync as
// the kubelet's pods would see them.
describe('image volumes', () => {
  let h: Harness;
  let nginxId: string;
  let sandbox: { id: string; config: ReturnType<typeof podConfig> };
  beforeEach(async () => {
    h = await startHarness({ runtime: { start_log_line: '' } });
    await h.img('PullImage', { image: { image: 'busybox' } });
    nginxId = (await h.img('PullImage', { image: { image: 'nginx:1.25.3' } })).image_ref;
    const config = podConfig('vol', { logDir: join(h.dir, 'logs') });
    sandbox = { id: (await h.rt('RunPodSandbox', { config })).pod_sandbox_id, config };
  });
  afterEach(() => h.close());

  const create = async (name: string, mounts: object[]) => {
    const cc = { ...containerConfig(name, 'busybox'), mounts };
    return (await h.rt('CreateContainer', { pod_sandbox_id: sandbox.id, config: cc, sandbox_config: sandbox.config })).container_id as string;
  };
  const run = async (name: string, mounts: object[]) => {
    const id = await create(name, mounts);
    await h.rt('StartContainer', { container_id: id });
    return id;
  };
  const exec = async (id: string, cmd: string[]) => {
    const r = await h.rt('ExecSync', { container_id: id, cmd, timeout: 30 });
    return { code: r.exit_code as number, out: Buffer.from(r.stdout).toString(), err: Buffer.from(r.stderr).toString() };
  };
  // As the kubelet sends it: the image by the id PullImage gave.
  const volume = (path: string, extra: object = {}) => ({ container_path: path, readonly: true, image: { image: nginxId, image_ref: nginxId }, ...extra });

  it("mounts the image's files read-only at container_path, and a subpath of them", async () => {
    const id = await run('reader', [volume('/vol'), volume('/html', { image_sub_path: 'usr/share/nginx/html' })]);
    const passwd = await exec(id, ['cat', '/vol/etc/passwd']);
    expect(passwd).toMatchObject({ code: 0, out: expect.stringContaining('root:x:0:0:') });
    const ls = await exec(id, ['ls', '/vol/usr/share/nginx/html']);
    expect(ls).toMatchObject({ code: 0, out: expect.stringContaining('index.html') });
    const page = await exec(id, ['cat', '/html/index.html']);
    expect(page).toMatchObject({ code: 0, out: expect.stringContaining('Welcome to nginx!') });
    // The container's own image (busybox) has no nginx page.
    expect((await exec(id, ['ls', '/usr/share/nginx'])).code).not.toBe(0);

    const write = await exec(id, ['touch', '/vol/new']);
    expect(write).toEqual({ code: 1, out: '', err: "touch: /vol/new: Read-only file system\n" });
    const overwrite = await exec(id, ['sh', '-c', 'echo x > /html/index.html']);
    expect(overwrite.code).not.toBe(0);
    expect(overwrite.err).toContain('Read-only file system');
    expect((await exec(id, ['cat', '/html/index.html'])).out).toContain('Welcome to nginx!');

    const mounts = (await exec(id, ['cat', '/proc/mounts'])).out.split('\n');
    expect(mounts).toContainEqual(expect.stringMatching(/^overlay \/vol overlay ro,/));
    expect(mounts).toContainEqual(expect.stringMatching(/^overlay \/html overlay ro,/));
  });

  it('ContainerStatus reports the mount with the image id, which the kubelet counts as in use; RemoveImage while mounted behaves as containerd', async () => {
    const id = await run('user', [volume('/vol', { image: { image: 'nginx:1.25.3' } })]);
    const st = (await h.rt('ContainerStatus', { container_id: id })).status;
    expect(st.mounts).toEqual([expect.objectContaining({ container_path: '/vol', readonly: true, image: expect.objectContaining({ image: 'nginx:1.25.3', image_ref: nginxId }) })]);
    // The runtime spec (verbose info) binds it read-only from where the image is mounted.
    const spec = JSON.parse((await h.rt('ContainerStatus', { container_id: id, verbose: true })).info.info).runtimeSpec;
    expect(spec.mounts).toEqual([{ destination: '/vol', type: 'bind', source: `/var/lib/fakecri/image-volumes/${nginxId.slice('sha256:'.length)}`, options: ['rbind', 'ro'] }]);
    await h.restart();
    expect((await h.rt('ContainerStatus', { container_id: id })).status.mounts[0].image.image_ref).toBe(nginxId);

    // containerd deletes the image record; the container's view keeps the
    // files (its snapshot holds them) until it is removed.
    await h.img('RemoveImage', { image: { image: nginxId } });
    expect((await h.img('ListImages', {})).images.map((i: { id: string }) => i.id)).not.toContain(nginxId);
    expect(await exec(id, ['cat', '/vol/usr/share/nginx/html/index.html'])).toMatchObject({ code: 0, out: expect.stringContaining('Welcome to nginx!') });
    // A container created now cannot use it: it is not here any more.
    const err = await create('late', [volume('/vol')]).catch((e) => e);
    expect(err.code).toBe(status.NOT_FOUND);

    await h.rt('StopContainer', { container_id: id, timeout: 0 });
    await h.rt('RemoveContainer', { container_id: id });
    const again = (await h.img('PullImage', { image: { image: 'nginx:1.25.3' } })).image_ref;
    expect(again).toBe(nginxId);
    await h.img('RemoveImage', { image: { image: nginxId } });
    expect((await h.img('ImageStatus', { image: { image: nginxId } })).image).toBeFalsy();
  });

  it('refuses an unknown image, a missing subpath, host_path with image and a subpath leaving the image, naming them', async () => {
    const unknown = await create('a', [{ container_path: '/vol', image: { image: 'sha256:' + 'e'.repeat(64) } }]).catch((e) => e);
    expect([unknown.code, unknown.details]).toEqual([
      status.NOT_FOUND,
      `config.mounts[0]: failed to resolve image "sha256:${'e'.repeat(64)}" for the image volume at "/vol": not found, pull it first`,
    ]);
    const noSub = await create('b', [volume('/vol', { image_sub_path: 'no/such/dir' })]).catch((e) => e);
    expect([noSub.code, noSub.details]).toEqual([status.NOT_FOUND, `config.mounts[0]: image_sub_path "no/such/dir" is not a directory of image "${nginxId}"`]);
    const both = await create('c', [volume('/vol', { host_path: '/tmp' })]).catch((e) => e);
    expect([both.code, both.details]).toEqual([status.INVALID_ARGUMENT, 'config.mounts[0]: host_path and image are both set; an image volume has no host_path']);
    const out = await create('d', [volume('/vol', { image_sub_path: 'usr/../../etc' })]).catch((e) => e);
    expect(out.code).toBe(status.INVALID_ARGUMENT);
    expect(out.details).toContain('config.mounts[0].image_sub_path "usr/../../etc"');
    // Nothing was left behind by the refusals.
    expect((await h.rt('ListContainers', {})).containers).toEqual([]);
  });
});

// The image pulled for real from Debian's docker-registry on 127.0.0.1, as
// the kubelet pulls an image volume's image before CreateContainer.
describe('image volumes of an image pulled from a real registry', needs(registryMissing()), () => {
  let reg: Registry;
  let push: RegistryClient;
  let h: Harness;
  let ref: string;
  let imageId: string;
  beforeAll(async () => {
    reg = await startRegistry();
    push = new RegistryClient({ insecure: [reg.host] });
    ref = `${reg.host}/tools/busybox:1.36`;
    const configDigest = await pushImage(push, ref, [Buffer.alloc(4096, 'busybox')]);
    h = await startHarness({ runtime: { start_log_line: '' }, registries: { pull_from: [reg.host], insecure: [reg.host] } });
    imageId = (await h.img('PullImage', { image: { image: ref } })).image_ref;
    expect(imageId).toBe(configDigest);
  });
  afterAll(async () => {
    await h?.close();
    await push?.close();
    await reg?.stop();
  });

  it("shows its files in another container, read-only, until the container is removed", async () => {
    await h.img('PullImage', { image: { image: 'busybox' } });
    const config = podConfig('reg', { logDir: join(h.dir, 'logs') });
    const sandbox = (await h.rt('RunPodSandbox', { config })).pod_sandbox_id;
    const cc = {
      ...containerConfig('app', 'busybox'),
      mounts: [{ container_path: '/tools', readonly: true, image: { image: imageId, image_ref: imageId }, image_sub_path: 'bin' }],
    };
    const id = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: cc, sandbox_config: config })).container_id;
    await h.rt('StartContainer', { container_id: id });
    const exec = async (cmd: string[]) => {
      const r = await h.rt('ExecSync', { container_id: id, cmd, timeout: 30 });
      return { code: r.exit_code as number, out: Buffer.from(r.stdout).toString(), err: Buffer.from(r.stderr).toString() };
    };
    const ls = await exec(['ls', '/tools']);
    expect(ls.code).toBe(0);
    expect(ls.out.split(/\s+/)).toEqual(expect.arrayContaining(['busybox', 'sh', 'cat', 'wget']));
    expect(await exec(['readlink', '/tools/sh'])).toMatchObject({ code: 0, out: 'busybox\n' });
    expect(await exec(['rm', '/tools/sh'])).toMatchObject({ code: 1, err: "rm: can't remove '/tools/sh': Read-only file system\n" });

    // Gone from the node as containerd removes it; the container keeps it.
    await h.img('RemoveImage', { image: { image: ref } });
    expect((await h.img('ImageStatus', { image: { image: imageId } })).image).toBeFalsy();
    expect((await exec(['ls', '/tools'])).out).toContain('busybox');
    await h.rt('RemoveContainer', { container_id: id });
    // Pulled again, it is the same image, and usable as a volume again.
    expect((await h.img('PullImage', { image: { image: ref } })).image_ref).toBe(imageId);
  });
});
