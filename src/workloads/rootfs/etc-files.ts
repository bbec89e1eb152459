import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';

// /etc/hostname, /etc/hosts and /etc/resolv.conf as containerd writes them
// for a sandbox (internal/cri/server/podsandbox setupSandboxFiles): the
// hostname; a copy of the host's /etc/hosts; resolv.conf from the DNS
// config, or a copy of the host's when the sandbox config has none.

export interface DnsConfigView {
  servers?: string[];
  searches?: string[];
  options?: string[];
}

export interface SandboxView {
  hostname: string;
  config?: unknown;
}

const hostFiles = new Map<string, string>();
// The host's file, read once per fakecri process.
function hostFile(path: string): string {
  let text = hostFiles.get(path);
  if (text === undefined) {
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      text = '';
    }
    hostFiles.set(path, text);
  }
  return text;
}

export function etcHostname(sandbox: SandboxView | undefined): string {
  return `${sandbox?.hostname || osHostname()}\n`;
}

export function etcHosts(): string {
  return hostFile('/etc/hosts');
}

// parseDNSOptions: each part on its line, only those that are set.
export function etcResolvConf(sandbox: SandboxView | undefined): string {
  const dns = (sandbox?.config as { dns_config?: DnsConfigView | null } | undefined)?.dns_config;
  if (!dns) return hostFile('/etc/resolv.conf');
  let out = '';
  if (dns.searches?.length) out += `search ${dns.searches.join(' ')}\n`;
  if (dns.servers?.length) out += `nameserver ${dns.servers.join('\nnameserver ')}\n`;
  if (dns.options?.length) out += `options ${dns.options.join(' ')}\n`;
  return out;
}
