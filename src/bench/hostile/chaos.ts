import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import { ControlClient } from '../../control/client';
import { routes } from '../../control/routes';
import { type CriCall, makeClient } from '../../cri/client';
import { containerConfig, podConfig } from '../../testing/kubelet-requests';
import { HIDDEN_WRITE } from '../../workloads/rootfs/overlay';
import { Rng } from './rng';
import { ServerProcess } from './server-process';

// `make chaos`: kill -9 fakecri N times at random points under concurrent
// load (and now and then while it starts), restarting it each time, with
// the host backend on a tmpfs of its own (root only). After every restart:
//   - nothing acknowledged is lost: a sandbox, container or image whose
//     creation was answered OK (and not removed since) is there, a
//     container whose start was answered is not back to CREATED, and a
//     writable layer has at least the bytes acknowledged;
//   - nothing removed comes back: what a removal was answered for is gone;
//   - accounting equals the disk: what fakecri reports used on imagefs is
//     the sum of its files' allocated bytes (as du counts), every file is
//     fully allocated, every layer of every image and every writable layer
//     has its file, of the size the state says.
// Operations cut by the kill may have happened or not; objects they touch
// are learned again from what fakecri lists.
//
//   node dist/bench/hostile/chaos.js [--kills N] [--seed N] [--workers N] [--json]

interface Options {
  kills: number;
  seed: number;
  workers: number;
  json: boolean;
}

type Fact = 'present' | 'absent' | 'unknown';

interface Model {
  sandboxes: Map<string, Fact>;
  containers: Map<string, { fact: Fact; sandbox: string; started: boolean; rootfs: number }>;
  images: Map<string, Fact>; // by id
  refs: Map<string, string>; // reference → id, once pulled
}

export interface ChaosSummary {
  kills: number;
  killsDuringStart: number;
  acknowledged: number;
  failed: number;
  interrupted: number;
  lost: string[];
  resurrected: string[];
  accounting: string[];
  failedStarts: string[];
  crashes: string[];
  seconds: number;
  ok: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { kills: 20, seed: 1, workers: 6, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => Number(argv[++i]);
    if (a === '--kills') o.kills = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--workers') o.workers = Math.max(1, num());
    else if (a === '--json') o.json = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: chaos.js [--kills N] [--seed N] [--workers N] [--json]   (root: mounts a tmpfs)\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const IMAGES = Array.from({ length: 10 }, (_, i) => `chaos/app:${i}`);

// One round of load: workers doing what a kubelet and an operator do, each
// operation recorded when it is answered.
class Load {
  stopped = false;
  acknowledged = 0;
  failed = 0;
  private readonly inflight = new Set<() => void>();

  constructor(
    private readonly rng: Rng,
    private readonly model: Model,
    private readonly rt: CriCall,
    private readonly img: CriCall,
    private readonly control: ControlClient,
  ) {}

  // Everything still in flight when the kill came: its objects are unknown.
  interrupt(): number {
    const n = this.inflight.size;
    for (const mark of this.inflight) mark();
    this.inflight.clear();
    return n;
  }

  private async op(touches: () => void, call: () => Promise<void>): Promise<void> {
    this.inflight.add(touches);
    try {
      await call();
      if (this.inflight.has(touches)) this.acknowledged++;
    } catch (err) {
      if (this.inflight.has(touches)) this.failed++;
      // No answer (the connection went with fakecri): it may have happened.
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'number' || [grpcStatus.UNAVAILABLE, grpcStatus.CANCELLED, grpcStatus.DEADLINE_EXCEEDED, grpcStatus.UNKNOWN, grpcStatus.INTERNAL].includes(code)) touches();
    } finally {
      this.inflight.delete(touches);
    }
  }

  private pick<T>(m: Map<string, T>, ok: (v: T) => boolean): string | undefined {
    const ids = [...m.entries()].filter(([, v]) => ok(v)).map(([k]) => k);
    return ids.length ? this.rng.pick(ids) : undefined;
  }

  async worker(): Promise<void> {
    const { rng, model, rt, img } = this;
    const pulled = (ref: string, id: string) => {
      model.refs.set(ref, id);
      model.images.set(id, 'present');
    };
    const pullCut = (ref: string) => () => {
      const id = model.refs.get(ref);
      if (id) model.images.set(id, 'unknown');
    };
    const unknownSandbox = (id: string) => () => {
      model.sandboxes.set(id, 'unknown');
      for (const c of model.containers.values()) if (c.sandbox === id) c.fact = 'unknown';
    };
    while (!this.stopped) {
      const r = rng.int(100);
      const sandbox = this.pick(model.sandboxes, (f) => f === 'present');
      const container = this.pick(model.containers, (c) => c.fact === 'present');
      if (r < 15 || !sandbox) {
        const name = `chaos-${rng.int(1e9).toString(36)}`;
        await this.op(() => {}, async () => {
          const id = (await rt('RunPodSandbox', { config: podConfig(name) })).pod_sandbox_id;
          model.sandboxes.set(id, 'present');
        });
      } else if (r < 35) {
        const pod = await rt('PodSandboxStatus', { pod_sandbox_id: sandbox }).catch(() => undefined);
        if (!pod) continue;
        const meta = pod.status.metadata;
        const cfg = podConfig(meta.name, { uid: meta.uid });
        const image = rng.pick(IMAGES);
        // The container's id comes with the answer: cut short, it is
        // learned at the next check. So is the image's, if never pulled.
        await this.op(pullCut(image), async () => {
          pulled(image, (await img('PullImage', { image: { image } })).image_ref);
          const id = (await rt('CreateContainer', { pod_sandbox_id: sandbox, config: containerConfig(`c${rng.int(1e6)}`, image), sandbox_config: cfg })).container_id;
          model.containers.set(id, { fact: 'present', sandbox, started: false, rootfs: 0 });
        });
      } else if (r < 50 && container) {
        const c = model.containers.get(container)!;
        await this.op(() => (c.fact = 'unknown'), async () => {
          await rt('StartContainer', { container_id: container });
          c.started = true;
        });
      } else if (r < 60 && container) {
        const c = model.containers.get(container)!;
        const bytes = (1 + rng.int(16)) * 64 * 1024;
        await this.op(() => (c.fact = 'unknown'), async () => {
          await this.control.call('POST', routes.containerRootfs(container), { bytes });
          c.rootfs += bytes;
        });
      } else if (r < 66 && container) {
        await this.op(() => {}, async () => {
          await rt('StopContainer', { container_id: container, timeout: 0 });
        });
      } else if (r < 74 && container) {
        const c = model.containers.get(container)!;
        await this.op(() => (c.fact = 'unknown'), async () => {
          await rt('RemoveContainer', { container_id: container });
          c.fact = 'absent';
        });
      } else if (r < 82) {
        await this.op(unknownSandbox(sandbox), async () => {
          await rt('RemovePodSandbox', { pod_sandbox_id: sandbox });
          model.sandboxes.set(sandbox, 'absent');
          for (const c of model.containers.values()) if (c.sandbox === sandbox) c.fact = 'absent';
        });
      } else if (r < 92) {
        const image = rng.pick(IMAGES);
        // Pulls and removals go over one connection: their answers come in
        // the order fakecri did them, so the last answer is the truth.
        await this.op(pullCut(image), async () => {
          pulled(image, (await img('PullImage', { image: { image } })).image_ref);
        });
      } else {
        const id = this.pick(model.images, (f) => f === 'present');
        if (!id) continue;
        await this.op(() => model.images.set(id, 'unknown'), async () => {
          await img('RemoveImage', { image: { image: id } });
          model.images.set(id, 'absent');
        });
      }
    }
  }
}

// The files under the host backend's root, with their sizes and blocks.
function diskFiles(root: string): Map<string, { size: number; allocated: number }> {
  const out = new Map<string, { size: number; allocated: number }>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = lstatSync(p);
        out.set(relative(root, p), { size: st.size, allocated: st.blocks * 512 });
      }
    }
  };
  walk(root);
  return out;
}

async function verify(model: Model, rt: CriCall, img: CriCall, control: ControlClient, fsRoot: string, sum: ChaosSummary, round: number): Promise<void> {
  const sandboxes = new Map<string, { state: string }>((await rt('ListPodSandbox')).items.map((s: { id: string; state: string }) => [s.id, s]));
  const containers = new Map<string, { state: string; pod_sandbox_id: string }>((await rt('ListContainers')).containers.map((c: { id: string; state: string; pod_sandbox_id: string }) => [c.id, c]));
  const images = new Map<string, { size: string }>((await img('ListImages')).images.map((i: { id: string; size: string }) => [i.id, i]));
  const ctl = await control.call<{ id: string; rootfsBytes: number }[]>('GET', routes.containers);
  const rootfs = new Map(ctl.map((c) => [c.id, c.rootfsBytes]));
  const where = `after kill ${round}`;
  const check = (kind: string, id: string, fact: Fact, there: boolean) => {
    if (fact === 'present' && !there) sum.lost.push(`${where}: ${kind} ${id} was acknowledged and is gone`);
    if (fact === 'absent' && there) sum.resurrected.push(`${where}: ${kind} ${id} was removed and is back`);
  };
  for (const [id, fact] of model.sandboxes) check('sandbox', id, fact, sandboxes.has(id));
  for (const [id, c] of model.containers) {
    check('container', id, c.fact, containers.has(id));
    const now = containers.get(id);
    if (c.fact === 'present' && now) {
      if (c.started && now.state === 'CONTAINER_CREATED') sum.lost.push(`${where}: container ${id} was started and is created again`);
      if ((rootfs.get(id) ?? 0) < c.rootfs) sum.lost.push(`${where}: container ${id} has ${rootfs.get(id)} bytes in its writable layer, ${c.rootfs} were acknowledged`);
    }
  }
  for (const [id, fact] of model.images) check('image', id, fact, images.has(id));
  // Learn what is there now: unknowns resolved, new ones adopted.
  for (const id of model.sandboxes.keys()) model.sandboxes.set(id, sandboxes.has(id) ? 'present' : 'absent');
  for (const id of sandboxes.keys()) model.sandboxes.set(id, 'present');
  for (const [id, c] of model.containers) {
    c.fact = containers.has(id) ? 'present' : 'absent';
    c.rootfs = rootfs.get(id) ?? 0;
    c.started = containers.get(id)?.state !== 'CONTAINER_CREATED';
  }
  for (const [id, now] of containers) {
    if (!model.containers.has(id)) model.containers.set(id, { fact: 'present', sandbox: now.pod_sandbox_id, started: now.state !== 'CONTAINER_CREATED', rootfs: rootfs.get(id) ?? 0 });
  }
  for (const id of model.images.keys()) model.images.set(id, images.has(id) ? 'present' : 'absent');
  for (const id of images.keys()) model.images.set(id, 'present');

  // Accounting against the disk.
  const fs = (await control.call<{ name: string; usedBytes: number; inodesUsed: number }[]>('GET', routes.fs)).find((f) => f.name === 'imagefs')!;
  const files = diskFiles(fsRoot);
  // Bytes as du counts them (allocated blocks), as fakecri does: a write
  // the kill cut short can leave a file a few bytes short of its last block.
  let total = 0;
  for (const [path, f] of files) {
    total += f.allocated;
    if (f.allocated < f.size) sum.accounting.push(`${where}: ${path} is sparse: ${f.allocated} of ${f.size} bytes allocated`);
  }
  if (total !== fs.usedBytes) sum.accounting.push(`${where}: imagefs used ${fs.usedBytes} bytes by fakecri's account, its files hold ${total}`);
  // The rootfs_write bytes are one hidden file in the layer's diff
  // directory, made at the first write.
  for (const id of containers.keys()) {
    const bytes = files.get(`containers/${id}/diff/${HIDDEN_WRITE}`)?.allocated ?? 0;
    if (bytes !== (rootfs.get(id) ?? 0)) sum.accounting.push(`${where}: container ${id}: writable layer holds ${bytes} bytes written, state says ${rootfs.get(id)}`);
  }
  for (const [id] of images) {
    const status = (await img('ImageStatus', { image: { image: id }, verbose: false })).image;
    if (!status) sum.accounting.push(`${where}: image ${id} is listed but has no status`);
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('chaos mounts a tmpfs for the host backend: run it as root');
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'fakecri-chaos-'));
  const mnt = join(dir, 'imagefs');
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1g', 'fakecri-chaos', mnt]);
  const sum: ChaosSummary = { kills: 0, killsDuringStart: 0, acknowledged: 0, failed: 0, interrupted: 0, lost: [], resurrected: [], accounting: [], failedStarts: [], crashes: [], seconds: 0, ok: false };
  const rng = new Rng(opts.seed);
  const config = [
    '[filesystems.imagefs]',
    'backend = "host"',
    `path = "${mnt}"`,
    '[images]',
    // Small images sharing a base layer, written at a pace, so that kills
    // land in the middle of layer writes.
    'base_layer_size = "1Mi"',
    'default_min_size = "2Mi"',
    'default_max_size = "4Mi"',
    'pull_bandwidth = "128Mi"',
    '',
  ].join('\n');
  const server = new ServerProcess(join(dir, 'server'), (mkdirSync(join(dir, 'server')), config));
  const model: Model = { sandboxes: new Map(), containers: new Map(), images: new Map(), refs: new Map() };
  try {
    for (let round = 0; round <= opts.kills; round++) {
      // Now and then the kill comes while fakecri starts (restoring state).
      if (round > 0 && round < opts.kills && rng.chance(0.1)) {
        const starting = server.start().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50 + rng.int(400)));
        await server.kill('SIGKILL');
        await starting;
        sum.killsDuringStart++;
      }
      try {
        await server.start();
      } catch (err) {
        sum.failedStarts.push(`before round ${round}: ${(err as Error).message.slice(0, 2000)}`);
        break;
      }
      const rtc = makeClient(server.socket, 'RuntimeService');
      const imc = makeClient(server.socket, 'ImageService');
      const control = new ControlClient({ socket: server.controlSocket });
      try {
        await verify(model, rtc.call, imc.call, control, join(mnt, 'fakecri'), sum, round);
      } catch (err) {
        sum.accounting.push(`after kill ${round}: could not check: ${(err as Error).message}`);
      }
      if (round === opts.kills) {
        rtc.close();
        imc.close();
        if (!(await server.stop())) sum.crashes.push('fakecri did not stop within 15 s of SIGTERM');
        break;
      }
      const load = new Load(rng.fork(), model, rtc.call, imc.call, control);
      const workers = Array.from({ length: opts.workers }, () => load.worker());
      await new Promise((r) => setTimeout(r, 300 + rng.int(1200)));
      await server.kill('SIGKILL');
      sum.kills++;
      sum.interrupted += load.interrupt();
      load.stopped = true;
      await Promise.all(workers);
      sum.acknowledged += load.acknowledged;
      sum.failed += load.failed;
      rtc.close();
      imc.close();
    }
  } finally {
    await server.kill('SIGKILL');
    sum.crashes.push(...server.crashes().map((e) => `exit ${e.code ?? e.signal}: ${e.stderrTail.slice(-1000)}`));
    execFileSync('umount', ['-l', mnt]);
    rmSync(dir, { recursive: true, force: true });
  }
  sum.seconds = (Date.now() - started) / 1000;
  sum.ok = !sum.lost.length && !sum.resurrected.length && !sum.accounting.length && !sum.failedStarts.length && !sum.crashes.length && sum.kills === opts.kills;
  if (opts.json) process.stdout.write(`${JSON.stringify(sum)}\n`);
  else {
    const lines = [
      `fakecri chaos: seed ${opts.seed}, ${sum.kills} kill -9 under load (${sum.killsDuringStart} more while starting), ${opts.workers} workers, ${sum.seconds.toFixed(1)} s`,
      `  operations: ${sum.acknowledged} acknowledged, ${sum.failed} refused or failed, ${sum.interrupted} cut by a kill`,
      `  lost: ${sum.lost.length}   resurrected: ${sum.resurrected.length}   accounting mismatches: ${sum.accounting.length}   failed starts: ${sum.failedStarts.length}   crashes: ${sum.crashes.length}`,
    ];
    for (const [what, list] of [['lost', sum.lost], ['resurrected', sum.resurrected], ['accounting', sum.accounting], ['failed start', sum.failedStarts], ['crash', sum.crashes]] as const) {
      for (const item of list.slice(0, 5)) lines.push(`  ${what}: ${item}`);
    }
    lines.push(sum.ok ? 'result: OK' : 'result: FAILED');
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  process.exitCode = sum.ok ? 0 : 1;
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`chaos: ${(err as Error).stack ?? err}\n`);
    process.exit(2);
  });
}
