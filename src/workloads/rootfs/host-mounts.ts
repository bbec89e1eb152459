import { readFileSync } from 'node:fs';

// Which host filesystem holds a path: the source and type /proc/mounts
// shows for a bind mount of it, as the kernel shows the mounted filesystem.
interface HostMount {
  source: string;
  target: string;
  type: string;
}

let cache: { at: number; mounts: HostMount[] } | undefined;
const TTL_MS = 10_000;

const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

function hostMounts(): HostMount[] {
  if (cache && Date.now() - cache.at < TTL_MS) return cache.mounts;
  let text = '';
  try {
    text = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    // Not Linux: every path is on "/".
  }
  const mounts = text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [source, target, type] = line.split(' ');
      return { source: unescape(source), target: unescape(target), type };
    });
  cache = { at: Date.now(), mounts };
  return mounts;
}

export function hostMountOf(path: string): { source: string; type: string } {
  let best: HostMount | undefined;
  for (const m of hostMounts()) {
    const inside = m.target === '/' || path === m.target || path.startsWith(`${m.target}/`);
    if (inside && (!best || m.target.length >= best.target.length)) best = m;
  }
  return best ? { source: best.source, type: best.type } : { source: 'rootfs', type: 'ext4' };
}
