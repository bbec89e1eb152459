import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { parsePodCidr } from '../network/ipam';
import { parseQuantity } from './quantity';
import { duration, quantity } from './zod-types';
import { registriesSection, seccompSection } from './registry-config';
import { behaviourSchema, cpu } from '../workloads/behaviour';
import { ruleSchema } from '../faults/rules';

// "90%" of the capacity, or a byte quantity.
const ballast = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'string' && v.trim().endsWith('%')) {
    const pct = Number(v.trim().slice(0, -1));
    if (Number.isFinite(pct) && pct >= 0 && pct <= 100) return { percent: pct };
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a percentage from 0% to 100%` });
    return z.NEVER;
  }
  try {
    return { bytes: parseQuantity(v) };
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const filesystem = z
  .object({
    // memory: accounting only. host: real bytes under `path`.
    backend: z.enum(['memory', 'host']).default('memory'),
    // The directory reported to the kubelet (and, for host, written to).
    // Default for memory: <state-dir>/<name>; required for host.
    path: z.string().min(1).optional(),
    // memory backend only: the capacity and inode count it accounts against.
    capacity: quantity.default(100 * 2 ** 30),
    inodes: z.number().int().positive().default(10_000_000),
    // Filled at start: a percentage of the capacity or a byte quantity.
    ballast: ballast.optional(),
  })
  .strict();

export type FilesystemConfig = z.infer<typeof filesystem>;

const catalogEntry = z
  .object({
    // A reference ("nginx:1.25.3", normalised) or a glob pattern ("docker.io/library/big*").
    match: z.string().min(1),
    size: quantity.refine((n) => n > 0, 'an image size must be above 0').optional(),
    layers: z.number().int().min(1).max(64).optional(),
    // The files its layers hold once unpacked, all layers together: the
    // inodes it takes on imagefs. Default: one per images.bytes_per_inode.
    inodes: z.number().int().min(1).optional(),
    // OCI manifest annotations the image carries.
    annotations: z.record(z.string(), z.string()).default({}),
    // Whether the shared base layer is part of this image.
    base_layer: z.boolean().default(true),
    // The image config's User ("1002", "www-data", "1003:1003"), which
    // ImageStatus reports as uid or username.
    user: z.string().min(1).optional(),
    // Another reference of the same image: this one resolves to its manifest
    // and id, as tags pushed from one image do.
    same_as: z.string().min(1).optional(),
    // How containers of this image behave unless the pod says otherwise,
    // as an ENTRYPOINT would (see README, container behaviour).
    behaviour: behaviourSchema.optional(),
    // The image config's Entrypoint, Cmd, Env ("K=v"), WorkingDir and
    // StopSignal, and which files it holds (see README, inside a container).
    entrypoint: z.array(z.string().max(4096)).max(256).optional(),
    cmd: z.array(z.string().max(4096)).max(256).optional(),
    env: z.array(z.string().regex(/^[^=]+=/, 'KEY=value').max(65536)).max(1024).optional(),
    working_dir: z.string().regex(/^\//, 'an absolute path').max(4096).optional(),
    stop_signal: z.string().regex(/^(SIG)?[A-Z0-9]+$/, 'a signal name like SIGTERM').optional(),
    userland: z.enum(['busybox', 'opaque']).optional(),
    // Files the image's layers hold, by absolute path, over the defaults
    // (its own /etc/passwd and /etc/group, say).
    files: z.record(z.string().regex(/^\/[^\0]*$/, 'an absolute path'), z.string().max(1024 * 1024)).optional(),
  })
  .strict();

const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

// Every option has a default, so an empty file (or none) is a full config.
export const configSchema = z
  .object({
    // "crio": serve on CRI-O's socket with its HTTP inspect API, cgroups and
    // storage layout, so that the kubelet takes its cAdvisor stats path.
    personality: z.enum(['containerd', 'crio']).default('containerd'),
    crio: z
      .object({
        // A connection must show HTTP/2 or HTTP/1.1 within this long.
        sniff_timeout: duration.default(10_000),
        // Create CRI-O-style cgroups for running containers (cgroup v1).
        cgroups: z.boolean().default(true),
        cgroup_root: z.string().min(1).default('/sys/fs/cgroup'),
      })
      .strict()
      .prefault({}),
    server: z
      .object({
        socket: z.string().min(1).optional(),
        state_dir: z.string().min(1).optional(),
        log_level: logLevel.default('info'),
        // Defences of every socket (CRI, control, CRI-O's): at most this many
        // open connections each; a new one must show its protocol within
        // connection_timeout; a gRPC connection without calls for
        // idle_timeout is closed (the client reconnects when it needs to);
        // a gRPC peer that does not answer a ping sent every keepalive
        // (within keepalive as well) is dropped.
        max_connections: z.number().int().min(1).max(100_000).default(512),
        connection_timeout: duration.refine((n) => n >= 100, 'must be at least 100ms').default(10_000),
        idle_timeout: duration.refine((n) => n >= 1000, 'must be at least 1s').default(5 * 60_000),
        keepalive: duration.refine((n) => n >= 500, 'must be at least 500ms').default(30_000),
      })
      .strict()
      .prefault({}),
    runtime: z
      .object({
        // What Version reports as runtime_name; default "fakecri", or "cri-o"
        // with the crio personality.
        name: z.string().min(1).optional(),
        cgroup_driver: z.enum(['systemd', 'cgroupfs']).default('cgroupfs'),
        // The pause image: reported pinned so the kubelet's image GC keeps it.
        sandbox_image: z.string().min(1).default('registry.k8s.io/pause:3.10.1'),
        // RuntimeClass handlers accepted besides the default ("").
        handlers: z.array(z.string().min(1)).default(['runc']),
        // A line written to each container's log when it starts, so that
        // `kubectl logs` has something to show; empty for none.
        start_log_line: z.string().default('fakecri: container {name} started'),
      })
      .strict()
      .prefault({}),
    status: z
      .object({
        runtime_ready: z.boolean().default(true),
        network_ready: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    filesystems: z
      .object({
        imagefs: filesystem.prefault({}),
        // Absent: container writable layers share the imagefs filesystem.
        containerfs: filesystem.optional(),
      })
      .strict()
      .prefault({}),
    control: z
      .object({
        // The control API's unix socket; default: the CRI socket's path with
        // .sock replaced by -control.sock. Mode 0600.
        socket: z.string().min(1).optional(),
        // Also serve it on this loopback TCP port (0: off), behind `token`.
        tcp_port: z.number().int().min(0).max(65535).default(0),
        token: z.string().default(''),
      })
      .strict()
      .prefault({}),
    // The streaming server that Exec, Attach and PortForward hand out URLs
    // on (see README, streaming).
    streaming: z
      .object({
        address: z.string().min(1).default('127.0.0.1'),
        // 0: a free port, chosen at start.
        port: z.number().int().min(0).max(65535).default(0),
        // Both or neither ("": none): serve HTTPS with this PEM certificate and key.
        tls_cert_file: z.string().default(''),
        tls_key_file: z.string().default(''),
        // A session with no bytes either way for this long is closed (the
        // kubelet's default is 4h).
        idle_timeout: duration.refine((n) => n >= 1000, 'must be at least 1s').default(4 * 3600_000),
        // How long a client has to open its streams after upgrading.
        creation_timeout: duration.refine((n) => n >= 100, 'must be at least 100ms').default(30_000),
        max_sessions: z.number().int().min(1).max(100_000).default(256),
        // The most bytes one data stream may carry (an exec's stdin, stdout
        // or stderr; a forwarded connection, both ways); 0: no limit, as the
        // kubelet's server has none (kubectl cp and long port-forwards move
        // gigabytes).
        max_stream_bytes: quantity.default(0),
      })
      .strict()
      .prefault({}),
    // What a running container uses when its behaviour says nothing: the
    // stats RPCs report this CPU rate and memory working set.
    workloads: z
      .object({
        cpu: cpu.default(5_000_000),
        memory: quantity.default(8 * 2 ** 20),
      })
      .strict()
      .prefault({}),
    // Fault rules active from the start (see README, faults).
    faults: z.array(ruleSchema).default([]),
    network: z
      .object({
        // Pod IPs come from here until the kubelet sends a pod_cidr.
        default_pod_cidr: z
          .string()
          .default('10.88.0.0/16')
          .superRefine((v, ctx) => {
            try {
              parsePodCidr(v);
            } catch (err) {
              ctx.addIssue({ code: 'custom', message: (err as Error).message });
            }
          }),
        // Pods reachable from the host for real: host-network pods' ports,
        // pod IPs in 127.0.0.0/8, and port mappings' host ports (see README).
        publish: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    images: z
      .object({
        // Sizes for images with no entry in `sizes`, derived from the reference.
        default_min_size: quantity.default(5 * 2 ** 20),
        default_max_size: quantity.default(200 * 2 ** 20),
        // Reference or glob pattern (`*` matches anything) → size.
        sizes: z.record(z.string(), quantity.refine((n) => n > 0, 'an image size must be above 0')).default({}),
        // Fuller entries, tried in order before `sizes`.
        catalog: z.array(catalogEntry).default([]),
        // A layer every image shares (stored once), when above 0.
        base_layer_size: quantity.default(0),
        // An unpacked layer holds a file per this many bytes, each an inode
        // on imagefs (containerd unpacks a layer into a tree of files).
        bytes_per_inode: quantity.refine((n) => n > 0, 'bytes_per_inode must be above 0').default(32 * 2 ** 10),
        // Pull speed in bytes per second; 0 is as fast as the disk.
        pull_bandwidth: quantity.default(0),
        // Time every PullImage takes before anything else, as a registry's
        // manifest round trip does even for an image already present.
        pull_latency: duration.default(0),
      })
      .strict()
      .prefault({}),
    registries: registriesSection,
    seccomp: seccompSection,
  })
  .strict();

type ParsedConfig = z.infer<typeof configSchema>;
export type Config = ParsedConfig & { runtime: ParsedConfig['runtime'] & { name: string } };

export class ConfigError extends Error {}

export function parseConfig(raw: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((k) => (path ? `${path}.${k}` : k));
        return `unknown key ${keys.map((k) => `"${k}"`).join(', ')}`;
      }
      return `key "${path}": ${issue.message}`;
    });
    throw new ConfigError(`${source}: ${lines.join('; ')}`);
  }
  const cfg = result.data as Config;
  cfg.runtime.name ??= cfg.personality === 'crio' ? 'cri-o' : 'fakecri';
  if (cfg.control.tcp_port && cfg.control.token.length < 16) {
    throw new ConfigError(`${source}: key "control.token" must be at least 16 characters when control.tcp_port is set`);
  }
  for (const [name, fs] of Object.entries(cfg.filesystems)) {
    if (fs && fs.backend === 'host' && !fs.path) {
      throw new ConfigError(`${source}: key "filesystems.${name}.path" is required for the host backend`);
    }
  }
  if (!cfg.streaming.tls_cert_file !== !cfg.streaming.tls_key_file) {
    throw new ConfigError(`${source}: keys "streaming.tls_cert_file" and "streaming.tls_key_file" go together`);
  }
  if (cfg.images.default_min_size > cfg.images.default_max_size) {
    throw new ConfigError(`${source}: key "images.default_min_size" is larger than "images.default_max_size"`);
  }
  return cfg;
}

export function loadConfig(file?: string): Config {
  if (!file) return parseConfig({}, 'default config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (err) {
    throw new ConfigError(`config ${file}: not valid TOML: ${(err as Error).message}`);
  }
  return parseConfig(raw, `config ${file}`);
}
