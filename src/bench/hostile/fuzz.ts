import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadCriProto } from '../../cri/proto';
import { INTERNAL_ERROR } from '../../cri/to-grpc-status';
import { type ControlResult, controlOp, controlRequest } from './control-ops';
import { garbageConnection } from './garbage';
import { type Call, Known, RequestMaker, type Service } from './requests';
import { Rng } from './rng';
import { ServerProcess } from './server-process';
import { World } from './world';

// `make fuzz`: a bounded fuzzer for fakecri, on loopback only (unix
// sockets). It starts `fakecri serve` and drives every CRI RPC (valid,
// mutated and random requests, random bytes), the control API and raw
// HTTP/2 garbage at it, from a fixed seed, until a number of calls or a time
// limit. A crash (fakecri exits) is counted and fakecri restarted from its
// state; a call that gets no answer within its deadline is a hang. Prints a
// summary; exits 1 if fakecri crashed, hung, answered UNKNOWN for a bug of
// its own, wrote where it must not, would not start again, or kept more
// than 5 fds more than it started with.
//
//   node dist/bench/hostile/fuzz.js [--calls N] [--seconds S] [--seed N]
//     [--deadline MS] [--concurrency N] [--crio-share F] [--json]

interface Options {
  calls: number;
  seconds: number;
  seed: number;
  deadlineMs: number;
  concurrency: number;
  crioShare: number;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { calls: 5000, seconds: 600, seed: 1, deadlineMs: 10_000, concurrency: 8, crioShare: 0.2, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number`);
      return v;
    };
    if (a === '--calls') o.calls = num();
    else if (a === '--seconds') o.seconds = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--deadline') o.deadlineMs = num();
    else if (a === '--concurrency') o.concurrency = Math.max(1, num());
    else if (a === '--crio-share') o.crioShare = Math.min(1, num());
    else if (a === '--json') o.json = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: fuzz.js [--calls N] [--seconds S] [--seed N] [--deadline MS] [--concurrency N] [--crio-share F] [--json]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

export interface PhaseSummary {
  personality: string;
  calls: { total: number; cri: number; control: number; garbage: number; streams: number };
  crashes: { code: number | null; signal: string | null; tail: string }[];
  failedStarts: string[];
  hangs: string[];
  heldByFaultRules: number;
  unexpectedUnknown: string[];
  errorLogLines: number;
  breaches: string[];
  statuses: Record<string, number>;
  // A few distinct answers per status other than OK.
  samples: Record<string, string[]>;
  byKind: Record<string, number>;
  control: Record<string, number>;
  encodeErrors: number;
  garbageLeftOpen: number;
  fds: { start: number; end: number; startKinds: string; endKinds: string };
  rssKiB: { start: number; end: number };
  seconds: number;
}

type CriClients = Record<Service, grpc.Client & Record<string, Function>> & { raw: grpc.Client };

function clients(socket: string): CriClients {
  const proto = loadCriProto();
  const opts = { 'grpc.max_receive_message_length': 64 * 2 ** 20, 'grpc.max_send_message_length': 64 * 2 ** 20 };
  const make = (Ctor: grpc.ServiceClientConstructor) => new Ctor(`unix://${socket}`, grpc.credentials.createInsecure(), opts) as grpc.Client & Record<string, Function>;
  return {
    RuntimeService: make(proto.runtime.v1.RuntimeService as unknown as grpc.ServiceClientConstructor),
    ImageService: make(proto.runtime.v1.ImageService as unknown as grpc.ServiceClientConstructor),
    raw: new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure(), opts),
  };
}

function closeClients(c: CriClients): void {
  c.RuntimeService.close();
  c.ImageService.close();
  c.raw.close();
}

interface Answer {
  code: grpc.status;
  details: string;
  response?: Record<string, unknown>;
  ms: number;
}

function send(c: CriClients, call: Call, deadlineMs: number): Promise<Answer> {
  const t = Date.now();
  const deadline = { deadline: t + deadlineMs };
  return new Promise((resolve) => {
    const done = (err: grpc.ServiceError | null, response?: unknown) =>
      resolve({ code: err ? err.code : grpc.status.OK, details: err?.details ?? '', response: response as Record<string, unknown>, ms: Date.now() - t });
    try {
      if (call.kind === 'bytes') {
        const id = (b: Buffer) => b;
        c.raw.makeUnaryRequest(`/runtime.v1.${call.service}/${call.method}`, id, id, call.bytes!, new grpc.Metadata(), deadline, done);
      } else c[call.service][call.method](call.request, deadline, done);
    } catch (err) {
      resolve({ code: grpc.status.INTERNAL, details: `Request message serialization failure: ${(err as Error).message}`, ms: 0 });
    }
  });
}

function summarize(call: Call): string {
  const text = call.kind === 'bytes' ? `${call.bytes!.length} bytes` : JSON.stringify(call.request) ?? '';
  return `${call.method} (${call.kind}) ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`;
}

const until = async (check: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  return check();
};

async function runPhase(personality: 'containerd' | 'crio', dir: string, calls: number, endAt: number, opts: Options, rng: Rng): Promise<PhaseSummary> {
  const started = Date.now();
  const world = new World(join(dir, 'world'));
  const config = [
    `personality = "${personality}"`,
    '[server]',
    // Short timeouts, so that connections fakecri must close are closed
    // within the run; the defaults are minutes.
    'keepalive = "1s"',
    'connection_timeout = "1s"',
    'idle_timeout = "3s"',
    '[crio]',
    `cgroup_root = "${world.cgroupRoot}"`,
    '[images]',
    'default_max_size = "50Mi"',
    '[filesystems.imagefs]',
    'backend = "memory"',
    `path = "${join(dir, 'imagefs')}"`,
    '',
  ].join('\n');
  const server = new ServerProcess(dir, config);
  const s: PhaseSummary = {
    personality,
    calls: { total: 0, cri: 0, control: 0, garbage: 0, streams: 0 },
    crashes: [],
    failedStarts: [],
    hangs: [],
    heldByFaultRules: 0,
    unexpectedUnknown: [],
    errorLogLines: 0,
    breaches: [],
    statuses: {},
    samples: {},
    byKind: {},
    control: {},
    encodeErrors: 0,
    garbageLeftOpen: 0,
    fds: { start: 0, end: 0, startKinds: '', endKinds: '' },
    rssKiB: { start: 0, end: 0 },
    seconds: 0,
  };
  await server.start();
  // The fds and RSS of fakecri serving, before anyone connects: at the end,
  // with every connection gone again, it is measured the same way.
  s.fds.start = server.fds();
  s.fds.startKinds = server.fdKinds();
  s.rssKiB.start = server.rssKiB();
  let c = clients(server.socket);
  const known = new Known();
  const maker = new RequestMaker(rng, world, known, { crio: personality === 'crio' });
  const holdWindows: [number, number][] = [];
  const leftOpen = new Set<Socket>();
  const count = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

  // A few objects to start from.
  for (const image of ['busybox', 'nginx:1.25']) await send(c, { service: 'ImageService', method: 'PullImage', kind: 'valid', request: { image: { image } } }, opts.deadlineMs);

  let restarting: Promise<void> | undefined;
  const recover = async () => {
    if (server.running) return;
    restarting ??= (async () => {
      const exit = server.exits[server.exits.length - 1];
      s.crashes.push({ code: exit?.code ?? null, signal: exit?.signal ?? null, tail: exit?.stderrTail.slice(-1500) ?? '' });
      closeClients(c);
      try {
        await server.start();
        c = clients(server.socket);
      } catch (err) {
        s.failedStarts.push((err as Error).message.slice(0, 2000));
      }
    })().finally(() => (restarting = undefined));
    await restarting;
  };

  const learn = (call: Call, a: Answer) => {
    if (a.code !== grpc.status.OK || call.kind !== 'valid') return;
    const req = call.request as Record<string, any>;
    if (call.method === 'RunPodSandbox') {
      const config = req.config;
      known.pods.push({ id: a.response!.pod_sandbox_id as string, uid: config.metadata.uid, name: config.metadata.name, config });
    } else if (call.method === 'CreateContainer') known.containers.push({ id: a.response!.container_id as string, sandbox: req.pod_sandbox_id, name: req.config.metadata.name });
    else if (call.method === 'PullImage' && !known.images.includes(a.response!.image_ref as string)) known.images.push(a.response!.image_ref as string);
    else if (call.method === 'RemovePodSandbox') {
      known.pods = known.pods.filter((p) => p.id !== req.pod_sandbox_id);
      known.containers = known.containers.filter((k) => k.sandbox !== req.pod_sandbox_id);
    } else if (call.method === 'RemoveContainer') known.containers = known.containers.filter((k) => k.id !== req.container_id);
  };

  const criCall = async (call: Call) => {
    const t = Date.now();
    const a = await send(c, call, opts.deadlineMs);
    s.calls.cri++;
    if (a.details.startsWith('Request message serialization failure')) {
      s.encodeErrors++;
      return;
    }
    count(s.statuses, grpc.status[a.code]);
    count(s.byKind, call.kind);
    if (a.code !== grpc.status.OK) {
      const list = (s.samples[grpc.status[a.code]] ??= []);
      const d = `${call.method}: ${JSON.stringify(a.details.slice(0, 140)).slice(1, -1)}`;
      if (list.length < 4 && !list.some((x) => x.split(': ').slice(1).join(': ').slice(0, 40) === d.split(': ').slice(1).join(': ').slice(0, 40))) list.push(d);
    }
    if (a.code === grpc.status.DEADLINE_EXCEEDED && a.ms >= opts.deadlineMs - 50) {
      if (holdWindows.some(([from, to]) => t < to && t + opts.deadlineMs > from)) s.heldByFaultRules++;
      else {
        s.hangs.push(`${summarize(call)}: no answer in ${a.ms} ms`);
        if (s.hangs.length === 1) s.hangs.push(`fakecri at the first hang: ${server.diagnose()}`);
      }
    }
    if (a.code === grpc.status.UNKNOWN && a.details.startsWith(INTERNAL_ERROR)) s.unexpectedUnknown.push(`${summarize(call)}: ${a.details.slice(0, 500)}`);
    learn(call, a);
    if (!server.running) await recover();
  };

  // Keeps the state small: pods beyond 40 go, as the kubelet removes them.
  const prune = async () => {
    while (known.pods.length > 40) {
      const p = known.pods.shift()!;
      await criCall({ service: 'RuntimeService', method: 'RemovePodSandbox', kind: 'valid', request: { pod_sandbox_id: p.id } });
    }
    if (known.images.length > 30) known.images.splice(0, known.images.length - 30);
  };

  let issued = 0;
  // Past 20 hangs fakecri is taken for frozen: the phase ends, reporting them.
  const frozen = () => s.hangs.length > 20;
  const worker = async (wrng: Rng) => {
    while (issued < calls && Date.now() < endAt && !frozen()) {
      issued++;
      const r = wrng.next();
      if (r < 0.8) {
        await criCall(maker.next());
      } else if (r < 0.89) {
        const res: ControlResult = await controlOp(wrng, server.controlSocket, known, opts.deadlineMs);
        s.calls.control++;
        count(s.control, String(res.status));
        if (res.status === 500) s.unexpectedUnknown.push(`control API 500: ${res.body.slice(0, 300)}`);
        if (res.holdingRule) holdWindows.push([Date.now() - res.ms, Date.now() + opts.deadlineMs]);
        if (res.status === -2) s.hangs.push(`control API call with no answer in ${opts.deadlineMs} ms`);
        if (!server.running) await recover();
      } else if (r < 0.91 && personality === 'crio') {
        // CRI-O's inspect API shares the CRI socket.
        s.calls.control++;
        const id = known.containers.length && wrng.chance(0.6) ? wrng.pick(known.containers).id : wrng.pick(['nope', '%ff', '..%2f..%2fetc', 'x'.repeat(5000)]);
        const res = await controlRequest(server.socket, wrng.pick(['GET', 'GET', 'POST']), wrng.pick(['/info', '/config', `/containers/${id}`, '/containers/', '/nope']), undefined, opts.deadlineMs);
        count(s.control, `inspect ${res.status}`);
        if (res.status === 500) s.unexpectedUnknown.push(`inspect API 500: ${res.body.slice(0, 300)}`);
        if (res.status === -2) s.hangs.push(`inspect API call with no answer in ${opts.deadlineMs} ms`);
      } else if (r < 0.95) {
        s.calls.garbage++;
        const path = wrng.chance(0.7) ? server.socket : server.controlSocket;
        await garbageConnection(path, wrng, leftOpen);
      } else if (r < 0.96) {
        s.calls.streams++;
        const stream = c.RuntimeService.GetContainerEvents({}) as grpc.ClientReadableStream<unknown>;
        stream.on('data', () => {});
        stream.on('error', () => {});
        await new Promise((res) => setTimeout(res, wrng.int(300)));
        stream.cancel();
      } else {
        // A pod as the kubelet starts one: sandbox, container, start.
        await prune();
        const run: Call = { service: 'RuntimeService', method: 'RunPodSandbox', kind: 'valid', request: maker.valid('RunPodSandbox') };
        await criCall(run);
        const pod = known.pods[known.pods.length - 1];
        if (pod && pod.config === (run.request as { config: unknown }).config) {
          for (let i = 0; i < 2; i++) {
            const create = maker.valid('CreateContainer') as { pod_sandbox_id: string; sandbox_config: unknown };
            create.pod_sandbox_id = pod.id;
            create.sandbox_config = pod.config;
            await criCall({ service: 'RuntimeService', method: 'CreateContainer', kind: 'valid', request: create });
            const ctr = known.containers[known.containers.length - 1];
            if (ctr?.sandbox === pod.id) await criCall({ service: 'RuntimeService', method: 'StartContainer', kind: 'valid', request: { container_id: ctr.id } });
          }
        }
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, () => worker(rng.fork())));
  s.calls.total = s.calls.cri + s.calls.control + s.calls.garbage + s.calls.streams;
  await recover();

  // What fakecri must close by itself, then the fds it is left with.
  await until(() => leftOpen.size === 0, 30_000);
  s.garbageLeftOpen = leftOpen.size;
  for (const sock of leftOpen) sock.destroy();
  const probe = await send(c, { service: 'RuntimeService', method: 'Version', kind: 'valid', request: {} }, opts.deadlineMs);
  if (probe.code !== grpc.status.OK) s.hangs.push(`Version after the run: ${grpc.status[probe.code]} ${probe.details}`);
  closeClients(c);
  // Every client gone: fakecri's fds come back to what it served with.
  // Settled: back to where it started (plus the one socket a client leaves
  // for a moment), or after 30 s, whatever is left.
  await until(() => server.fds() <= s.fds.start + 1, 30_000);
  s.fds.end = server.fds();
  s.fds.endKinds = server.fdKinds();
  s.rssKiB.end = server.rssKiB();
  s.breaches = world.breaches();
  if (!(await server.stop())) s.hangs.push('fakecri did not stop within 15 s of SIGTERM');
  // fakecri starts again from what the run left.
  try {
    await server.start();
    if (!(await server.stop())) s.hangs.push('fakecri, restarted after the run, did not stop within 15 s of SIGTERM');
  } catch (err) {
    s.failedStarts.push(`restart after the run: ${(err as Error).message.slice(0, 2000)}`);
  }
  s.errorLogLines = server.errorLines.length;
  s.seconds = (Date.now() - started) / 1000;
  return s;
}

export interface FuzzSummary {
  seed: number;
  options: Options;
  phases: PhaseSummary[];
  ok: boolean;
}

function ok(p: PhaseSummary): boolean {
  return !p.crashes.length && !p.failedStarts.length && !p.hangs.length && !p.unexpectedUnknown.length && !p.breaches.length && p.garbageLeftOpen === 0 && p.fds.end <= p.fds.start + 5;
}

function print(sum: FuzzSummary): string {
  const lines: string[] = [];
  const o = sum.options;
  const total = sum.phases.reduce((n, p) => n + p.calls.total, 0);
  const secs = sum.phases.reduce((n, p) => n + p.seconds, 0);
  lines.push(`fakecri fuzz: seed ${sum.seed}, ${total} calls in ${secs.toFixed(1)} s (limits: ${o.calls} calls, ${o.seconds} s; deadline ${o.deadlineMs} ms; ${o.concurrency} callers)`);
  const mib = (k: number) => `${(k / 1024).toFixed(1)} MiB`;
  for (const p of sum.phases) {
    lines.push(`${p.personality}: ${p.calls.total} calls (${p.calls.cri} CRI RPCs, ${p.calls.control} control API, ${p.calls.garbage} garbage connections, ${p.calls.streams} event streams) in ${p.seconds.toFixed(1)} s`);
    lines.push(`  crashes: ${p.crashes.length}   failed starts: ${p.failedStarts.length}   hangs (over deadline): ${p.hangs.length}   held by fault rules: ${p.heldByFaultRules}`);
    lines.push(`  unexpected UNKNOWN: ${p.unexpectedUnknown.length}   error-level log lines: ${p.errorLogLines}   writes outside: ${p.breaches.length}   garbage connections left open: ${p.garbageLeftOpen}`);
    lines.push(`  statuses: ${Object.entries(p.statuses).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    lines.push(`  requests: ${Object.entries(p.byKind).map(([k, v]) => `${k} ${v}`).join(', ')}; not encodable by the client: ${p.encodeErrors}`);
    lines.push(`  control API: ${Object.entries(p.control).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
    for (const [code, list] of Object.entries(p.samples)) lines.push(`  e.g. ${code}: ${list.join(' | ')}`);
    lines.push(`  fds: ${p.fds.start} -> ${p.fds.end} (${p.fds.startKinds} -> ${p.fds.endKinds})   RSS: ${mib(p.rssKiB.start)} -> ${mib(p.rssKiB.end)}`);
    for (const [what, list] of [['crash', p.crashes.map((c) => `exit ${c.code ?? c.signal}: ${c.tail}`)], ['failed start', p.failedStarts], ['hang', p.hangs], ['unexpected', p.unexpectedUnknown], ['breach', p.breaches]] as const) {
      for (const item of list.slice(0, 5)) lines.push(`  ${what}: ${item}`);
      if (list.length > 5) lines.push(`  … and ${list.length - 5} more`);
    }
  }
  lines.push(sum.ok ? 'result: OK' : 'result: FAILED');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const base = mkdtempSync(join(tmpdir(), 'fakecri-fuzz-'));
  // As root, the run's files go on a small tmpfs of their own: a bug that
  // writes without end fills that, not the host's disk.
  let mounted = false;
  if (process.getuid?.() === 0) {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512m', 'fakecri-fuzz', base]);
      mounted = true;
    } catch {
      // Plain directory then.
    }
  }
  const rng = new Rng(opts.seed);
  const endAt = Date.now() + opts.seconds * 1000;
  const crioCalls = Math.round(opts.calls * opts.crioShare);
  const phases: PhaseSummary[] = [];
  try {
    for (const [personality, calls] of [['containerd', opts.calls - crioCalls], ['crio', crioCalls]] as const) {
      if (calls <= 0) continue;
      const dir = join(base, personality);
      mkdirSync(dir);
      phases.push(await runPhase(personality, dir, calls, endAt, opts, rng.fork()));
    }
  } finally {
    if (mounted) execFileSync('umount', ['-l', base]);
    rmSync(base, { recursive: true, force: true });
  }
  const sum: FuzzSummary = { seed: opts.seed, options: opts, phases, ok: phases.every(ok) };
  process.stdout.write(`${opts.json ? JSON.stringify(sum) : print(sum)}\n`);
  process.exitCode = sum.ok ? 0 : 1;
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`fuzz: ${(err as Error).stack ?? err}\n`);
    process.exit(2);
  });
}
