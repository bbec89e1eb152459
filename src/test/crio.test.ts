import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import pino from 'pino';
import { CrioCgroups, expandSlice } from '../crio/cgroups';
import { makeClient } from '../cri/client';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';
import { needs } from './skip';
import { mountTmpfs, mountUnavailable, type Tmpfs } from './tmpfs';
import { until } from './wait';

// A fake cgroup v1 tree: one directory per hierarchy, each with cgroup.procs.
function fakeCgroupRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'fakecri-cgroup-'));
  for (const c of ['cpu,cpuacct', 'memory', 'pids']) {
    mkdirSync(join(root, c));
    writeFileSync(join(root, c, 'cgroup.procs'), '');
  }
  return root;
}

describe('crio personality', () => {
  let h: Harness;
  let http: Client;
  let cgroupRoot: string;
  let sandboxId = '';
  let containerId = '';
  const uid = 'c0ffee00-0000-4000-8000-000000000001';

  beforeAll(async () => {
    cgroupRoot = fakeCgroupRoot();
    h = await startHarness({
      personality: 'crio',
      crio: { cgroup_root: cgroupRoot },
      filesystems: { imagefs: { capacity: '10Gi' }, containerfs: { capacity: '5Gi' } },
    });
    http = new Client('http://crio', { socketPath: h.socket });
    await h.img('PullImage', { image: { image: 'nginx:1.25' } });
    const cfg = podConfig('web', { uid, logDir: join(h.dir, 'logs') });
    sandboxId = (await h.rt('RunPodSandbox', { config: cfg })).pod_sandbox_id;
    containerId = (await h.rt('CreateContainer', { pod_sandbox_id: sandboxId, config: containerConfig('app', 'nginx:1.25', { podName: 'web', uid }), sandbox_config: cfg })).container_id;
    await h.rt('StartContainer', { container_id: containerId });
  });
  afterAll(async () => {
    await http.close();
    await h.close();
    rmSync(cgroupRoot, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const r = await http.request({ method: 'GET', path });
    return { status: r.statusCode, type: String(r.headers['content-type']), body: await r.body.text() };
  };

  it('reports cri-o as the runtime name', async () => {
    expect((await h.rt('Version')).runtime_name).toBe('cri-o');
  });

  it('GET /info names the storage root, and the image store when split', async () => {
    const r = await get('/info');
    expect(r.status).toBe(200);
    const info = JSON.parse(r.body);
    expect(info).toMatchObject({
      storage_driver: 'overlay',
      storage_root: join(h.stateDir, 'containerfs'),
      storage_image: join(h.stateDir, 'imagefs'),
      cgroup_driver: 'cgroupfs',
      default_id_mappings: { uids: [{ container_id: 0, host_id: 0 }], gids: [{ container_id: 0, host_id: 0 }] },
    });
  });

  it('GET /containers/{id} describes a container with CRI-O field names', async () => {
    const info = JSON.parse((await get(`/containers/${containerId}`)).body);
    expect(info).toMatchObject({
      name: `k8s_app_web_default_${uid}_0`,
      image: 'nginx:1.25',
      image_ref: expect.stringMatching(/^sha256:/),
      labels: { 'io.kubernetes.container.name': 'app', 'io.kubernetes.pod.uid': uid },
      annotations: { 'io.kubernetes.container.hash': 'abc123' },
      crio_annotations: { 'io.kubernetes.cri-o.ContainerID': containerId, 'io.kubernetes.cri-o.SandboxID': sandboxId },
      log_path: join(h.dir, 'logs', 'app', '0.log'),
      root: `${join(h.stateDir, 'containerfs')}/containers/${containerId}/merged`,
      sandbox: sandboxId,
      ip_addresses: [expect.stringMatching(/^10\.88\./)],
    });
    expect(info.pid).toBeGreaterThan(0);
    expect(typeof info.created_time).toBe('number');
  });

  it('GET /containers/{sandbox id} describes the infra container', async () => {
    const info = JSON.parse((await get(`/containers/${sandboxId}`)).body);
    expect(info).toMatchObject({ name: `k8s_POD_web_default_${uid}_0`, sandbox: sandboxId, labels: { 'io.kubernetes.container.name': 'POD' } });
  });

  it('GET /config is the configuration as TOML', async () => {
    const r = await get('/config');
    expect(r.type).toBe('application/toml');
    expect(parseToml(r.body)).toMatchObject({ personality: 'crio', runtime: { name: 'cri-o' } });
  });

  it("unknown paths and ids get 404 with CRI-O's text", async () => {
    expect(await get('/nope')).toMatchObject({ status: 404, body: '404 page not found\n' });
    expect(await get('/containers/deadbeef')).toMatchObject({ status: 404, body: "can't find the container with id deadbeef\n" });
  });

  it('creates cgroups where CRI-O would, for ready sandboxes and running containers, and removes them', async () => {
    const parent = `/kubepods/besteffort/pod${uid}`;
    for (const c of ['cpu,cpuacct', 'memory', 'pids']) {
      expect(existsSync(join(cgroupRoot, c, parent, `crio-${containerId}`))).toBe(true);
      expect(existsSync(join(cgroupRoot, c, parent, `crio-${sandboxId}`))).toBe(true);
    }
    const cfg = podConfig('web', { uid, logDir: join(h.dir, 'logs') });
    const other = (await h.rt('CreateContainer', { pod_sandbox_id: sandboxId, config: containerConfig('side', 'nginx:1.25', { podName: 'web', uid }), sandbox_config: cfg })).container_id;
    expect(existsSync(join(cgroupRoot, 'memory', parent, `crio-${other}`))).toBe(false);
    await h.rt('StartContainer', { container_id: other });
    expect(existsSync(join(cgroupRoot, 'memory', parent, `crio-${other}`))).toBe(true);
    await h.rt('StopContainer', { container_id: other, timeout: 0 });
    expect(existsSync(join(cgroupRoot, 'memory', parent, `crio-${other}`))).toBe(false);
  });

  it('gRPC and HTTP interleave on many concurrent connections', async () => {
    const clients = Array.from({ length: 8 }, () => makeClient(h.socket, 'RuntimeService'));
    const https = Array.from({ length: 8 }, () => new Client('http://crio', { socketPath: h.socket }));
    try {
      const work: Promise<unknown>[] = [];
      for (let round = 0; round < 20; round++) {
        for (const c of clients) work.push(c.call('ListContainers').then((r: any) => expect(r.containers.length).toBeGreaterThan(0)));
        for (const c of https) work.push(c.request({ method: 'GET', path: `/containers/${containerId}` }).then(async (r) => expect(JSON.parse(await r.body.text()).sandbox).toBe(sandboxId)));
      }
      await Promise.all(work);
    } finally {
      for (const c of clients) c.close();
      await Promise.all(https.map((c) => c.close()));
    }
  });

  const rawConnect = () =>
    new Promise<import('node:net').Socket>((resolve, reject) => {
      const s = connect(h.socket, () => resolve(s));
      s.on('error', reject);
    });
  const closed = (s: import('node:net').Socket) => new Promise<number>((resolve) => {
    const t = Date.now();
    s.on('close', () => resolve(Date.now() - t));
  });

  it('survives malformed first bytes (answered as bad HTTP)', async () => {
    const s = await rawConnect();
    let reply = '';
    s.on('data', (d) => (reply += d));
    s.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x13, 0x37]));
    await closed(s);
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await h.rt('Version')).version).toBe('0.1.0');
  });

  it('survives a connection that closes mid-preface, or at once', async () => {
    for (const bytes of ['PRI * HTTP/2.0\r\n', '', 'GET /in']) {
      const s = await rawConnect();
      if (bytes) s.write(bytes);
      const gone = closed(s);
      s.destroy();
      await gone;
    }
    expect((await h.rt('Version')).version).toBe('0.1.0');
    expect((await get('/info')).status).toBe(200);
  });

  it('expands systemd slices as systemd does', () => {
    expect(expandSlice('kubepods-besteffort-pod123.slice')).toBe('/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod123.slice');
    expect(expandSlice('system.slice')).toBe('/system.slice');
    expect(expandSlice('-.slice')).toBe('/');
  });
});

// A server of its own, so that nothing else waits on its short sniff timeout.
describe('crio sniffing', () => {
  it('closes a connection that stalls mid-preface (slowloris) after the sniff timeout, and serves on', async () => {
    const h = await startHarness({ personality: 'crio', crio: { cgroups: false, sniff_timeout: '1s' } });
    try {
      // Timed from before the connect: the server's timer starts later.
      const t = Date.now();
      const s = connect(h.socket);
      const byServer = new Promise<number>((resolve) => s.on('close', () => resolve(Date.now() - t)));
      s.write('PRI * HTTP/2');
      // Only fakecri closes it: this side never does.
      expect(await byServer).toBeGreaterThanOrEqual(995);
      expect((await h.rt('Version')).version).toBe('0.1.0');
    } finally {
      await h.close();
    }
  });
});

describe('crio personality, one filesystem', () => {
  it('/info has no storage_image when imagefs and containerfs are one', async () => {
    const h = await startHarness({ personality: 'crio', crio: { cgroups: false } });
    const http = new Client('http://crio', { socketPath: h.socket });
    try {
      const r = await http.request({ method: 'GET', path: '/info' });
      const info = JSON.parse(await r.body.text());
      expect(info.storage_image).toBeUndefined();
      expect(info.storage_root).toBe(join(h.stateDir, 'imagefs'));
    } finally {
      await http.close();
      await h.close();
    }
  });
});

describe('crio personality on the host backend', needs(mountUnavailable), () => {
  let fs: Tmpfs;
  beforeAll(() => {
    fs = mountTmpfs('64m', 'crio-ctr');
  });
  afterAll(() => fs.unmount());
  it("a container's writable-layer bytes are under root/../diff, where cAdvisor measures them", async () => {
    const h = await startHarness({ personality: 'crio', crio: { cgroups: false }, filesystems: { containerfs: { backend: 'host', path: fs.path } } });
    const http = new Client('http://crio', { socketPath: h.socket });
    try {
      await h.img('PullImage', { image: { image: 'busybox' } });
      const s = (await h.rt('RunPodSandbox', { config: podConfig('p') })).pod_sandbox_id;
      const c = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'busybox'), sandbox_config: podConfig('p') })).container_id;
      await h.rt('StartContainer', { container_id: c });
      await h.server.app.containers.writeRootfs(c, 3 * 2 ** 20);
      const info = JSON.parse(await (await http.request({ method: 'GET', path: `/containers/${c}` })).body.text());
      const diff = join(info.root.replace(/\/merged$/, ''), 'diff');
      const { execFileSync } = await import('node:child_process');
      const du = Number(execFileSync('du', ['-sb', diff], { encoding: 'utf8' }).split('\t')[0]);
      expect(du).toBeGreaterThanOrEqual(3 * 2 ** 20);
      expect(du).toBeLessThan(3 * 2 ** 20 + 16384);
      const root = JSON.parse(await (await http.request({ method: 'GET', path: '/info' })).body.text()).storage_root;
      expect(root).toBe(join(fs.path, 'fakecri'));
      // The sandbox's infra container too: an empty diff, not a relative "diff"
      // that cAdvisor fails to stat every minute.
      const infra = JSON.parse(await (await http.request({ method: 'GET', path: `/containers/${s}` })).body.text());
      expect(infra.root).toBe(`${root}/containers/${s}/merged`);
      expect(existsSync(join(root, 'containers', s, 'diff'))).toBe(true);
      await h.rt('StopPodSandbox', { pod_sandbox_id: s });
      await h.rt('RemovePodSandbox', { pod_sandbox_id: s });
      expect(existsSync(join(root, 'containers', s))).toBe(false);
    } finally {
      await http.close();
      await h.close();
    }
  });
});

// The kubelet's cAdvisor stats provider drops a container whose cgroup shows
// zero CPU and zero RSS (isContainerTerminated), so a crio cgroup holds one
// idle process with a little memory charged to it.
const cgroupV1Unwritable: string | undefined = (() => {
  if (process.getuid?.() !== 0) return 'creating cgroups needs root';
  try {
    const probe = `/sys/fs/cgroup/memory/fakecri-probe-${process.pid}`;
    mkdirSync(probe);
    rmdirSync(probe);
    return undefined;
  } catch (err) {
    return `no writable cgroup v1 memory hierarchy at /sys/fs/cgroup/memory (${(err as Error).message})`;
  }
})();

describe('crio cgroups on the real cgroup v1 filesystem', needs(cgroupV1Unwritable), () => {
  it('each cgroup holds an idle process with RSS > 0, and is removed with it', async () => {
    const cg = new CrioCgroups('/sys/fs/cgroup', 'cgroupfs', pino({ level: 'silent' }));
    const id = 'f'.repeat(56) + process.pid.toString(16).padStart(8, '0');
    const dir = `/sys/fs/cgroup/memory/crio-${id}`;
    try {
      cg.create('', id);
      const pid = cg.holderPid('', id);
      expect(pid).toBeGreaterThan(0);
      const rss = await until('RSS charged to the cgroup', () => Number(/^total_rss (\d+)$/m.exec(readFileSync(join(dir, 'memory.stat'), 'utf8'))?.[1] ?? 0));
      expect(rss).toBeGreaterThan(0);
      expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toContain(`/crio-${id}`);
      cg.remove('', id);
      await until('the cgroup to be removed', () => !existsSync(dir));
    } finally {
      cg.release();
    }
  });
});
