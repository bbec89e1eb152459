import type { Sandbox } from '../store/sandbox';
import type { Identity } from './exec';

interface SandboxConfigView {
  dns_config?: { servers?: string[]; searches?: string[]; options?: string[] } | null;
  linux?: { sysctls?: Record<string, string> } | null;
}

// The files a pod's containers see that come from its sandbox config, as a
// real runtime writes or mounts them: /etc/hostname, /etc/resolv.conf (from
// dns_config) and /proc/sys/… (from linux.sysctls). ExecSync and the
// container's command read them; a behaviour's `files` win over them.
export function podFiles(sandbox: Sandbox | undefined): Record<string, string> {
  if (!sandbox) return {};
  const files: Record<string, string> = {};
  if (sandbox.hostname) files['/etc/hostname'] = `${sandbox.hostname}\n`;
  const config = (sandbox.config ?? {}) as SandboxConfigView;
  const dns = config.dns_config;
  if (dns && (dns.servers?.length || dns.searches?.length || dns.options?.length)) {
    const lines = [
      ...(dns.searches?.length ? [`search ${dns.searches.join(' ')}`] : []),
      ...(dns.servers ?? []).map((s) => `nameserver ${s}`),
      ...(dns.options?.length ? [`options ${dns.options.join(' ')}`] : []),
    ];
    files['/etc/resolv.conf'] = `${lines.join('\n')}\n`;
  }
  for (const [key, value] of Object.entries(config.linux?.sysctls ?? {})) {
    files[`/proc/sys/${key.replaceAll('.', '/')}`] = `${value}\n`;
  }
  return files;
}

interface SecurityContextView {
  run_as_user?: { value?: string | number } | null;
  run_as_group?: { value?: string | number } | null;
  run_as_username?: string;
  supplemental_groups?: (string | number)[];
}

// Who a container's processes run as, for `id`: the security context's
// run_as_user (or run_as_username), run_as_group and supplemental_groups;
// root otherwise.
export function containerIdentity(config: unknown): Identity {
  const sc = ((config ?? {}) as { linux?: { security_context?: SecurityContextView | null } | null }).linux?.security_context ?? {};
  const user = sc.run_as_username || undefined;
  return {
    uid: Number(sc.run_as_user?.value ?? 0),
    gid: Number(sc.run_as_group?.value ?? 0),
    groups: (sc.supplemental_groups ?? []).map(Number),
    ...(user ? { user } : {}),
  };
}
