import * as protobuf from 'protobufjs';
import { PROTO_FILE } from '../../cri/proto';
import { containerConfig, podConfig } from '../../testing/kubelet-requests';
import type { Rng } from './rng';
import { hostileDouble, hostileInt, hostileLike, hostileLong, hostileString, randomJson } from './values';
import type { World } from './world';

// The CRI requests a fuzz run sends: valid ones as the kubelet shapes them
// (with ids fakecri gave out), the same mutated, random messages built from
// the proto, and random bytes in place of a message.
export type Service = 'RuntimeService' | 'ImageService';

export interface Call {
  service: Service;
  method: string;
  kind: 'valid' | 'mutated' | 'random' | 'bytes';
  request?: unknown;
  bytes?: Buffer;
}

export interface KnownPod {
  id: string;
  uid: string;
  name: string;
  config: ReturnType<typeof podConfig>;
}

// What the fuzzer has been given by fakecri so far.
export class Known {
  pods: KnownPod[] = [];
  containers: { id: string; sandbox: string; name: string }[] = [];
  images: string[] = [];
  ids(): string[] {
    return [...this.pods.map((p) => p.id), ...this.containers.map((c) => c.id), ...this.images];
  }
}

export const root = protobuf.loadSync(PROTO_FILE);
const services: Record<Service, protobuf.Service> = {
  RuntimeService: root.lookupService('runtime.v1.RuntimeService'),
  ImageService: root.lookupService('runtime.v1.ImageService'),
};

export const UNARY: { service: Service; method: string }[] = (['RuntimeService', 'ImageService'] as const).flatMap((service) =>
  Object.values(services[service].methods)
    .filter((m) => !m.responseStream)
    .map((m) => ({ service, method: m.name })),
);

// The RPCs that create, start and change things come up more often than
// the reads: they are where the state machines are.
const LIFECYCLE = ['RunPodSandbox', 'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'StopPodSandbox', 'RemovePodSandbox', 'ExecSync', 'PullImage', 'RemoveImage', 'ReopenContainerLog', 'UpdateContainerResources'];
const WEIGHTED = UNARY.flatMap((u) => (LIFECYCLE.includes(u.method) ? [u, u, u, u] : [u]));

export function requestType(service: Service, method: string): protobuf.Type {
  return root.lookupType(`runtime.v1.${services[service].methods[method].requestType}`);
}

// Images the catalog derives (memory backend: accounted, not written).
const IMAGES = ['busybox', 'nginx:1.25', 'registry.k8s.io/pause:3.10.1', 'fuzz/app:1', 'fuzz/app:2', 'quay.io/x/y@sha256:' + 'a'.repeat(64)];

// ExecSync commands, with endless loops and deeply nested scripts among
// them (LOOPS): each once froze or overflowed fakecri's old interpreter.
const COMMANDS: string[][] = [
  ['true'],
  ['false'],
  ['echo', 'hello'],
  ['sh', '-c', 'echo a; echo b >&2; exit 3'],
  ['sh', '-c', 'test -f /etc/hostname && cat /etc/hostname'],
  ['cat', '/etc/resolv.conf'],
  ['cat', '/cache/fakecri.data'],
  ['ls', '/cache'],
  ['sleep', '0.1'],
  ['no-such-command'],
  ['sh', '-c', 'if true; then echo y; else echo n; fi'],
  ['sh', '-c', "echo 'unterminated"],
  ['[', '-d', '/'],
];
const LOOPS: string[][] = [
  ['sh', '-c', 'while true; do echo spin; done'],
  ['sh', '-c', `${'( '.repeat(5000)}true${' )'.repeat(5000)}`],
  ['sh', '-c', ':(){ :|:& };:'],
  ['sh', '-c', 'yes | head -c 100000000 | wc -c'],
];

// Behaviours of modest size (a run writes to a small tmpfs), or absurd ones
// that fakecri must refuse; never in between, where a real kubelet's pod
// would legitimately fill the disk.
function behaviour(rng: Rng): string {
  const sane = [
    { exit_after: `${rng.int(3000)}ms`, exit_code: rng.int(256) },
    { crash_loop: true, exit_after: '200ms' },
    { oom_after: '1s' },
    { log: { rate: 1 + rng.int(20), line_size: 1 + rng.int(200), total: 1 + rng.int(200) } },
    { rootfs_write: { rate: '10Mi', total: `${1 + rng.int(50)}Mi` } },
    { emptydir_write: { volume: '/cache', rate: '4Mi', total: '1Mi' } },
    { stop: { mode: rng.pick(['exit', 'delay', 'ignore']), delay: '300ms', exit_code: 143 } },
    { cpu: '250m', memory: '64Mi', files: { '/tmp/ready': 'ok' } },
  ];
  const absurd = [
    { log: { rate: 1e9, line_size: 1024 } },
    { log: { rate: -1 } },
    { rootfs_write: { rate: '1Pi', total: '1Pi' } },
    { emptydir_write: { volume: '/cache', rate: '100Gi', total: '1Gi', file: '../../../decoy.txt' } },
    { exit_after: '400d' },
    { exit_after: '30d' },
    { message: 'm'.repeat(5000) },
    { files: { '/x': 'y'.repeat(2 ** 20 + 1) } },
    { stop: { mode: 'delay', delay: 1e300 } },
    { unknown_key: 1 },
  ];
  const r = rng.int(10);
  if (r < 6) return JSON.stringify(rng.pick(sane));
  if (r < 9) return JSON.stringify(rng.pick(absurd));
  return rng.chance(0.5) ? JSON.stringify(randomJson(rng)) : hostileString(rng);
}

function failpoint(rng: Rng): [string, string] {
  const rpc = rng.pick(['CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'ContainerStatus', 'Bogus']);
  const spec = rng.pick(['1*error(injected)->1*off', '2*panic(boom)', '1*delay(50)->1*error(x)', '1*delay(99999999999999)', 'garbage', '->', Array(150).fill('1*off').join('->'), '99999999999*off']);
  return [`fakecri.io/failpoint.${rpc}`, spec];
}

export class RequestMaker {
  constructor(
    private readonly rng: Rng,
    private readonly world: World,
    private readonly known: Known,
    private readonly opts: { crio: boolean },
  ) {}

  next(): Call {
    const { service, method } = this.rng.pick(WEIGHTED);
    const r = this.rng.next();
    if (r < 0.05) return { service, method, kind: 'bytes', bytes: this.bytesFor(service, method) };
    if (r < 0.15) return { service, method, kind: 'random', request: this.sanitize(method, randomMessage(this.rng, requestType(service, method), this.known.ids(), 0, this.world)) };
    const valid = this.valid(method);
    if (r < 0.55) return { service, method, kind: 'valid', request: valid };
    return { service, method, kind: 'mutated', request: this.sanitize(method, this.mutate(valid)) };
  }

  // A new pod, the kubelet's way, with fakecri's annotations now and then.
  newPod(): KnownPod['config'] {
    const rng = this.rng;
    const name = `fuzz-${rng.int(1e9).toString(36)}`;
    const uid = `uid-${name}`;
    const config = podConfig(name, { uid, logDir: this.world.logDirectory(rng, uid), hostNetwork: rng.chance(0.1) });
    if (rng.chance(0.4)) config.annotations['fakecri.io/behaviour'] = behaviour(rng);
    if (rng.chance(0.2)) config.annotations[`fakecri.io/behaviour.${rng.pick(['c', 'app'])}`] = behaviour(rng);
    if (rng.chance(0.1)) {
      const [k, v] = failpoint(rng);
      config.annotations[k] = v;
    }
    (config.linux as { cgroup_parent: string }).cgroup_parent = this.world.cgroupParent(rng, uid);
    return config;
  }

  private pod(): KnownPod | undefined {
    return this.known.pods.length ? this.rng.pick(this.known.pods) : undefined;
  }

  private containerId(): string {
    const c = this.known.containers.length ? this.rng.pick(this.known.containers) : undefined;
    return c?.id ?? hostileString(this.rng, this.known.ids());
  }

  private sandboxId(): string {
    return this.pod()?.id ?? hostileString(this.rng, this.known.ids());
  }

  private image(): string {
    return this.rng.chance(0.8) ? this.rng.pick(IMAGES) : this.known.images.length ? this.rng.pick(this.known.images) : 'busybox';
  }

  valid(method: string): unknown {
    const rng = this.rng;
    switch (method) {
      case 'RunPodSandbox':
        return { config: this.newPod(), runtime_handler: rng.chance(0.9) ? '' : rng.pick(['runc', 'kata']) };
      case 'StopPodSandbox':
      case 'RemovePodSandbox':
      case 'PodSandboxStatus':
      case 'PodSandboxStats':
        return { pod_sandbox_id: this.sandboxId(), verbose: rng.chance(0.5) };
      case 'CreateContainer': {
        const pod = this.pod();
        const name = rng.pick(['c', 'app', 'sidecar', `c${rng.int(100)}`]);
        const config = { ...containerConfig(name, this.image(), { attempt: rng.int(3), podName: pod?.name, uid: pod?.uid }), log_path: this.world.logPath(rng, name) } as Record<string, unknown>;
        if (rng.chance(0.5)) config.mounts = [{ container_path: '/cache', host_path: this.world.hostPathFor(rng, pod?.uid ?? 'x'), readonly: rng.chance(0.2) }];
        if (rng.chance(0.3)) {
          config.linux = {
            security_context: {
              seccomp: rng.pick([{ profile_type: 'Localhost', localhost_ref: this.world.seccompRef(rng) }, { profile_type: 'RuntimeDefault' }, { profile_type: 'Unconfined' }]),
              privileged: rng.chance(0.1),
            },
          };
        }
        if (rng.chance(0.3)) Object.assign(config, { command: rng.pick(COMMANDS), args: [] });
        return { pod_sandbox_id: pod?.id ?? this.sandboxId(), config, sandbox_config: pod?.config ?? this.newPod() };
      }
      case 'StartContainer':
      case 'RemoveContainer':
      case 'ContainerStatus':
      case 'ReopenContainerLog':
      case 'ContainerStats':
      case 'Exec':
      case 'Attach':
      case 'CheckpointContainer':
        return { container_id: this.containerId(), verbose: rng.chance(0.5), cmd: ['sh'], tty: rng.chance(0.5), stdout: true };
      case 'StopContainer':
        return { container_id: this.containerId(), timeout: rng.int(3) };
      case 'ExecSync': {
        return { container_id: this.containerId(), cmd: rng.pick(rng.chance(0.8) ? COMMANDS : LOOPS), timeout: 1 + rng.int(3) };
      }
      case 'UpdateContainerResources':
        return { container_id: this.containerId(), linux: { cpu_shares: String(2 + rng.int(1000)), memory_limit_in_bytes: String(rng.int(2 ** 30)) } };
      case 'ListPodSandbox':
        return { filter: rng.chance(0.5) ? { id: this.sandboxId().slice(0, rng.int(20)), label_selector: { 'io.kubernetes.pod.namespace': 'default' } } : null };
      case 'ListContainers':
      case 'ListContainerStats':
        return { filter: rng.chance(0.5) ? { pod_sandbox_id: this.sandboxId(), state: rng.chance(0.5) ? { state: 'CONTAINER_RUNNING' } : null } : null };
      case 'ListPodSandboxStats':
        return { filter: rng.chance(0.5) ? { id: this.sandboxId() } : null };
      case 'UpdateRuntimeConfig':
        return { runtime_config: { network_config: { pod_cidr: rng.pick(['10.99.0.0/16', '10.88.0.0/16', '10.1.2.0/24,fd00::/64', '10.1.2.3/40', 'nonsense', '']) } } };
      case 'Status':
        return { verbose: rng.chance(0.5) };
      case 'PortForward':
        return { pod_sandbox_id: this.sandboxId(), port: [80] };
      case 'ListImages':
        return { filter: rng.chance(0.3) ? { image: { image: this.image() } } : null };
      case 'ImageStatus':
      case 'RemoveImage':
        return { image: { image: this.image() }, verbose: rng.chance(0.5) };
      case 'PullImage':
        return {
          image: { image: this.image() },
          auth: rng.chance(0.2) ? { username: 'fuzz', password: 'fuzz-password', registry_token: 'fuzz-token' } : null,
          sandbox_config: this.pod()?.config ?? null,
        };
      default:
        return {};
    }
  }

  // One to three changes anywhere in the request.
  private mutate(request: unknown): unknown {
    const copy = JSON.parse(JSON.stringify(request ?? {}));
    for (let n = 1 + this.rng.int(3); n > 0; n--) {
      const leaves = paths(copy);
      if (!leaves.length) break;
      const path = this.rng.pick(leaves);
      const parent = path.slice(0, -1).reduce((o: Record<string, unknown>, k) => o[k] as Record<string, unknown>, copy);
      const key = path[path.length - 1];
      const r = this.rng.int(10);
      if (r === 0) delete parent[key];
      else if (r === 1 && typeof parent === 'object' && !Array.isArray(parent)) parent[hostileString(this.rng).slice(0, 300)] = hostileString(this.rng);
      else parent[key] = pathValue(String(key), this.rng, this.world) ?? hostileLike(this.rng, parent[key], this.known.ids());
    }
    return copy;
  }

  // Keeps the run's own deadlines meaningful: a StopContainer timeout or an
  // ExecSync timeout is what the caller asked to wait, so they stay short.
  private sanitize(method: string, request: unknown): unknown {
    const r = request as Record<string, unknown> | null;
    if (!r || typeof r !== 'object') return request;
    if (method === 'StopContainer' && Number(r.timeout) > 2) r.timeout = 2;
    if (method === 'ExecSync' && !(Number(r.timeout) >= 1 && Number(r.timeout) <= 3)) r.timeout = 3;
    return request;
  }

  private bytesFor(service: Service, method: string): Buffer {
    const rng = this.rng;
    const r = rng.int(3);
    if (r === 0) return rng.bytes(rng.int(200));
    let encoded: Buffer;
    try {
      const type = requestType(service, method);
      encoded = Buffer.from(type.encode(type.fromObject(this.valid(method) as object)).finish());
    } catch {
      return rng.bytes(50);
    }
    if (r === 1) return encoded.subarray(0, rng.int(encoded.length + 1));
    for (let i = 0; i < 1 + rng.int(4) && encoded.length; i++) encoded[rng.int(encoded.length)] = rng.int(256);
    return encoded;
  }
}

// Paths from the root to every leaf (and every array and object) of a value.
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (v && typeof v === 'object') {
    for (const [k, child] of Object.entries(v)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      if (out.length < 500) paths(child, p, out);
    }
  }
  return out;
}

// Fields that name files fakecri writes or reads get paths from the world.
function pathValue(key: string, rng: Rng, world: World): string | undefined {
  if (key === 'log_directory') return world.logDirectory(rng, `uid-${rng.int(1000)}`);
  if (key === 'log_path') return world.logPath(rng, 'c');
  if (key === 'host_path') return world.hostPathFor(rng, `uid-${rng.int(1000)}`);
  if (key === 'localhost_ref') return world.seccompRef(rng);
  if (key === 'cgroup_parent') return world.cgroupParent(rng, 'x');
  if (key === 'pod_cidr') return rng.pick(['10.77.0.0/16', '300.0.0.0/8', '::/0', '10.0.0.0/33', '']);
  return undefined;
}

// A message of `type` with random fields: what a buggy or hostile client
// could send, field by field.
export function randomMessage(rng: Rng, type: protobuf.Type, known: readonly string[], depth: number, world: World): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (rng.chance(0.5)) continue;
    const one = () => randomValue(rng, field, known, depth, world);
    if (field.map) {
      const m: Record<string, unknown> = {};
      for (let i = rng.pick([0, 1, 3, 20]); i > 0; i--) m[hostileString(rng).slice(0, 200) || 'k'] = one();
      out[field.name] = m;
    } else if (field.repeated) out[field.name] = Array.from({ length: rng.pick([0, 1, 3, 20]) }, one);
    else out[field.name] = one();
  }
  return out;
}

function randomValue(rng: Rng, field: protobuf.Field, known: readonly string[], depth: number, world: World): unknown {
  field.resolve();
  if (field.resolvedType instanceof protobuf.Type) return depth > 5 ? {} : randomMessage(rng, field.resolvedType, known, depth + 1, world);
  if (field.resolvedType instanceof protobuf.Enum) return rng.chance(0.8) ? rng.pick(Object.keys(field.resolvedType.values)) : hostileInt(rng);
  switch (field.type) {
    case 'string':
      return pathValue(field.name, rng, world) ?? hostileString(rng, known);
    case 'bytes':
      return rng.bytes(rng.int(64));
    case 'bool':
      return rng.chance(0.5);
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return hostileLong(rng);
    case 'double':
    case 'float':
      return hostileDouble(rng);
    default:
      return hostileInt(rng);
  }
}
