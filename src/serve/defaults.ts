import { homedir } from 'node:os';
import { join } from 'node:path';

const isRoot = () => process.getuid?.() === 0;

// With the crio personality the socket is CRI-O's: the kubelet and cAdvisor
// recognise CRI-O by this path.
export function defaultSocket(personality: 'containerd' | 'crio' = 'containerd'): string {
  if (personality === 'crio') return '/var/run/crio/crio.sock';
  if (isRoot()) return '/run/fakecri/fakecri.sock';
  return join(process.env.XDG_RUNTIME_DIR || join(homedir(), '.fakecri', 'run'), 'fakecri.sock');
}

export function defaultStateDir(): string {
  if (isRoot()) return '/var/lib/fakecri';
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'fakecri');
}
