import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

// The built CLI (npm test builds first), run as a real child process.
export const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

export interface Child {
  proc: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
}

export function runCli(args: string[]): Child {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  proc.stdout!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, stderr: () => err, exited };
}

// Child processes and temp dirs a test file starts, cleaned up after each test.
export function useChildren(prefix: string): { tmp(): string; run(args: string[]): Child } {
  const dirs: string[] = [];
  const children: Child[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.proc.kill('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    tmp() {
      const d = mkdtempSync(join(tmpdir(), `fakecri-${prefix}-`));
      dirs.push(d);
      return d;
    },
    run(args) {
      const c = runCli(args);
      children.push(c);
      return c;
    },
  };
}
