import type { Container } from '../store/container';
import type { Sandbox } from '../store/sandbox';

// The OCI runtime spec fakecri would have handed to runc, built from what the
// kubelet asked for. It is what `crictl inspect` shows under info.runtimeSpec,
// in the shape CRI-O uses for verbose ContainerStatus.
interface ConfigView {
  command?: string[];
  args?: string[];
  working_dir?: string;
  envs?: { key: string; value: string }[];
  tty?: boolean;
  linux?: {
    security_context?: {
      privileged?: boolean;
      readonly_rootfs?: boolean;
      masked_paths?: string[];
      readonly_paths?: string[];
      run_as_user?: { value: string } | null;
      run_as_group?: { value: string } | null;
      namespace_options?: { pid?: string; ipc?: string; network?: string } | null;
      no_new_privs?: boolean;
    } | null;
  } | null;
}

interface MountView {
  container_path: string;
  host_path: string;
  readonly: boolean;
  image?: { image_ref?: string } | null;
  image_sub_path?: string;
}

// Where containerd mounts an image volume's image (read-only) to bind it.
const imageVolumeSource = (m: MountView): string => {
  const digest = (m.image?.image_ref ?? '').replace(/^sha256:/, '');
  return `/var/lib/fakecri/image-volumes/${digest}${m.image_sub_path ? `/${m.image_sub_path}` : ''}`;
};

interface ResourcesView {
  cpu_period?: string;
  cpu_quota?: string;
  cpu_shares?: string;
  memory_limit_in_bytes?: string;
  cpuset_cpus?: string;
  cpuset_mems?: string;
}

export function isPrivileged(c: Container): boolean {
  return Boolean((c.config as ConfigView).linux?.security_context?.privileged);
}

// process: the args, env and cwd the container's program really got (the
// CRI config merged with its image's); default the CRI config alone.
export function runtimeSpec(c: Container, sandbox: Sandbox | undefined, cgroupDriver: string, process?: { argv: string[]; env: Record<string, string>; cwd: string }): object {
  const cfg = c.config as ConfigView;
  const sc = cfg.linux?.security_context ?? {};
  const r = (c.resources ?? {}) as ResourcesView;
  const ns = sc.namespace_options ?? {};
  const namespaces = [
    { type: 'pid', shared: ns.pid === 'NODE' },
    { type: 'network', shared: ns.network === 'NODE' },
    { type: 'ipc', shared: ns.ipc === 'NODE' },
    { type: 'uts', shared: ns.network === 'NODE' },
    { type: 'mount', shared: false },
  ]
    .filter((n) => !n.shared)
    .map((n) => ({ type: n.type }));
  const scope = cgroupDriver === 'systemd' ? `${sandbox?.cgroupParent || 'system.slice'}:crio:${c.id}` : `${sandbox?.cgroupParent || ''}/crio-${c.id}`;
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: Boolean(cfg.tty),
      user: { uid: Number(sc.run_as_user?.value ?? 0), gid: Number(sc.run_as_group?.value ?? 0) },
      args: process?.argv ?? [...(cfg.command ?? []), ...(cfg.args ?? [])],
      env: process ? Object.entries(process.env).map(([k, v]) => `${k}=${v}`) : (cfg.envs ?? []).map((e) => `${e.key}=${e.value}`),
      cwd: process?.cwd ?? (cfg.working_dir || '/'),
      noNewPrivileges: Boolean(sc.no_new_privs),
    },
    root: { path: `/var/lib/fakecri/containers/${c.id}/rootfs`, readonly: Boolean(sc.readonly_rootfs) },
    hostname: sandbox?.hostname ?? '',
    mounts: (c.mounts as MountView[]).map((m) => ({
      destination: m.container_path,
      type: 'bind',
      source: m.image?.image_ref ? imageVolumeSource(m) : m.host_path,
      options: m.readonly || m.image?.image_ref ? ['rbind', 'ro'] : ['rbind', 'rw'],
    })),
    annotations: c.annotations,
    linux: {
      resources: {
        memory: r.memory_limit_in_bytes && r.memory_limit_in_bytes !== '0' ? { limit: Number(r.memory_limit_in_bytes) } : {},
        cpu: {
          shares: Number(r.cpu_shares ?? 0) || undefined,
          quota: Number(r.cpu_quota ?? 0) || undefined,
          period: Number(r.cpu_period ?? 0) || undefined,
          cpus: r.cpuset_cpus || undefined,
          mems: r.cpuset_mems || undefined,
        },
      },
      cgroupsPath: scope,
      namespaces,
      // Resolved at CreateContainer (src/seccomp); null when unconfined.
      seccomp: c.seccomp?.spec ?? null,
      maskedPaths: sc.privileged ? [] : (sc.masked_paths ?? []),
      readonlyPaths: sc.privileged ? [] : (sc.readonly_paths ?? []),
    },
  };
}
