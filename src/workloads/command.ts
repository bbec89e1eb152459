import { posix } from 'node:path';
import { sleep as delay } from '../domain/sleep';
import { type Clock, type ExecEnv, type Identity, type Stream, knownCommand, parseScript, runCommand } from './exec';

// A container's own command, interpreted as ExecSync's commands are:
// `sh -c "echo hello; exit 3"` writes "hello" to its log and exits 3,
// `sleep 10` exits 0 after ten seconds, `while true; do echo x; sleep 1; done`
// logs a line a second until stopped. What the interpreter does not know
// (`nginx`, `/app/server`) runs until stopped, as fakecri's containers always
// did; so do `top`, `pause` and `sleep infinity`.

// What the container runs: its command, then its args. fakecri's images have
// no ENTRYPOINT or CMD, so without a command there is nothing to interpret.
export function containerArgv(config: unknown): string[] {
  const c = (config ?? {}) as { command?: string[]; args?: string[] };
  return [...(c.command ?? []), ...(c.args ?? [])];
}

// Whether argv is worth a program: something the interpreter knows that may
// end or write. Commands that only run until stopped need none.
export function interpretable(argv: string[]): boolean {
  if (argv.length === 0 || !knownCommand(argv)) return false;
  const forever = (words: string[]) => {
    const base = posix.basename(words[0] ?? '');
    return base === 'top' || base === 'pause' || (base === 'sleep' && words[1] === 'infinity' && words.length === 2);
  };
  if (forever(argv)) return false;
  const base = posix.basename(argv[0]);
  if ((base === 'sh' || base === 'bash') && argv[1] === '-c') {
    try {
      const node = parseScript(argv[2] ?? '');
      if ('argv' in node && (forever(node.argv) || !knownCommand(node.argv))) return false;
    } catch {
      return true; // sh reports the syntax error and exits 2.
    }
  }
  return true;
}

// A timeline that starts at the container's start: `sleep N` ends N seconds
// after the sleep began on it, not after fakecri got round to it. After a
// restart of fakecri, the program is run again from the start, at once up to
// the present, with its output up to then dropped (it is in the log already).
export class ProgramClock implements Clock {
  private t: number;
  constructor(startMs: number) {
    this.t = startMs;
  }
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.t += ms;
    const wait = this.t - Date.now();
    if (wait > 0) await delay(wait, signal);
    else {
      await new Promise((r) => setImmediate(r));
      if (signal.aborted) throw signal.reason;
    }
  }
}

export interface ProgramOptions {
  startedMs: number;
  // Output written on the timeline before this moment is dropped.
  replayUntilMs?: number;
  files: Record<string, string>;
  mounts: ExecEnv['mounts'];
  hostname?: string;
  identity?: Identity;
  signal: AbortSignal;
  // A whole line (without its newline), as the log gets it.
  line: (stream: Stream, text: string) => void;
}

// Runs the container's program: answers its exit code, or rejects with the
// signal's reason when the container is stopped.
export async function runProgram(argv: string[], o: ProgramOptions): Promise<number> {
  const clock = new ProgramClock(o.startedMs);
  const pending: Record<Stream, string> = { stdout: '', stderr: '' };
  const write = (stream: Stream, text: string) => {
    if (o.replayUntilMs !== undefined && clock.now() < o.replayUntilMs) return;
    const lines = (pending[stream] + text).split('\n');
    pending[stream] = lines.pop()!;
    for (const l of lines) o.line(stream, l);
  };
  const flush = () => {
    for (const s of ['stdout', 'stderr'] as const) if (pending[s]) o.line(s, pending[s]);
  };
  try {
    const code = await runCommand(argv, { files: o.files, mounts: o.mounts, signal: o.signal, clock, write, unknown: 'run-forever', hostname: o.hostname, identity: o.identity });
    flush();
    return code;
  } catch (err) {
    if (!o.signal.aborted) flush();
    throw err;
  }
}
