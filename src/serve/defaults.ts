import { homedir } from 'node:os';
import { join } from 'node:path';

const isRoot = () => process.getuid?.() === 0;

export function defaultSocket(): string {
  if (isRoot()) return '/run/fakecri/fakecri.sock';
  return join(process.env.XDG_RUNTIME_DIR || join(homedir(), '.fakecri', 'run'), 'fakecri.sock');
}

export function defaultStateDir(): string {
  if (isRoot()) return '/var/lib/fakecri';
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'fakecri');
}
