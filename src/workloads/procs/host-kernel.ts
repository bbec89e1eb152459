import { readFileSync } from 'node:fs';

// What a container that shares one of the host's namespaces sees of the
// host's kernel: the host's own tables, read from its /proc, since the
// container's processes would see exactly these.

export interface Listening {
  proto: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  address: string; // "0.0.0.0", "::", "127.0.0.1"
  port: number;
}

export interface ShmSegment {
  key: number;
  shmid: number;
  perms: number;
  bytes: number;
  nattch: number;
  uid: number;
}

function read(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(1).filter(Boolean);
  } catch {
    return [];
  }
}

// /proc/net/tcp's hex address: IPv4 as one little-endian word, IPv6 as four.
function address(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  const ip = groups.join(':');
  // The longest run of zero groups as "::".
  const runs = [...`:${ip}:`.matchAll(/:(0(?::0)+):/g)].sort((a, b) => b[1].length - a[1].length);
  if (!runs.length) return ip;
  const [head, tail] = `:${ip}:`.split(`:${runs[0][1]}:`);
  return `${head.slice(1)}::${tail.slice(0, -1)}`;
}

// Sockets in LISTEN (TCP) or bound and unconnected (UDP).
export function hostListening(): Listening[] {
  const out: Listening[] = [];
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    for (const line of read(`/proc/net/${proto}`)) {
      const f = line.trim().split(/\s+/);
      const [local, remote, state] = [f[1], f[2], f[3]];
      if (!local || !remote) continue;
      if (proto.startsWith('tcp') ? state !== '0A' : state !== '07') continue;
      const [hex, port] = local.split(':');
      out.push({ proto, address: address(hex), port: parseInt(port, 16) });
    }
  }
  return out;
}

// System V shared memory segments (ipcs -m).
export function hostShm(): ShmSegment[] {
  return read('/proc/sysvipc/shm').map((line) => {
    const f = line.trim().split(/\s+/).map(Number);
    return { key: f[0], shmid: f[1], perms: parseInt(String(f[2]), 8), bytes: f[3], nattch: f[6], uid: f[7] };
  });
}
