import type { RunOptions } from '../applets/types';
import type { SignalName } from '../procs/types';
import { isFsError } from '../rootfs/types';
import { badIn, badOut } from './fds';
import type { Shell } from './shell';
import { modelled } from './signals';

// Commands the shell does not do itself: applets and programs, run through
// the AppletContext's run().

function options(sh: Shell, env: Record<string, string> | undefined, inProcess: boolean, exec: boolean): RunOptions {
  const proc = sh.proc !== sh.ctx.proc ? sh.proc : undefined;
  // Signals the shell ignores stay ignored in the commands it starts.
  const ignored: SignalName[] = [];
  for (let n = 1; n < sh.traps.length; n++) {
    const sig = sh.traps[n] === '' ? modelled(n) : undefined;
    if (sig) ignored.push(sig);
  }
  for (const sig of sh.hardIgnored) if (!ignored.includes(sig)) ignored.push(sig);
  return {
    onSpawn: ignored.length > 0 && !inProcess ? (child) => ignored.forEach((s) => child.setDisposition(s, 'ignore')) : undefined,
    signalled: inProcess ? undefined : sh.noteSignal,
    env: env ?? sh.vars.env(),
    cwd: sh.cwd,
    stdin: sh.fds[0]?.in ?? badIn,
    // In this process, a write to a pipe nobody reads kills it with
    // SIGPIPE (sh.out does it); a child process gets the plain streams.
    stdout: inProcess ? sh.out(1) : (sh.fds[1]?.out ?? badOut),
    stderr: inProcess ? sh.out(2) : (sh.fds[2]?.out ?? badOut),
    inProcess: inProcess || undefined,
    builtin: (inProcess && !exec) || undefined,
    exec: exec || undefined,
    process: proc,
    umask: sh.umask,
    hash: sh.hash,
    // fork and exec keep the fds past 2 open (those the shell opened).
    files: sh.fds,
    // evalcommand searches after the prefix assignments are set: a PATH=
    // among them is the one searched (env has it then).
    path: env?.PATH ?? sh.vars.get('PATH') ?? '',
  };
}

// Runs argv as a command found through PATH: in a child process, or in
// this process when it is the last thing this process does (`inPlace`, as
// ash execs the last command of `sh -c` instead of forking).
export function runExternal(sh: Shell, argv: string[], env: Record<string, string> | undefined, inPlace: boolean): Promise<number> {
  return run(sh, argv, options(sh, env, inPlace, inPlace), inPlace ? undefined : sh.afterChild);
}

// The applets busybox ash runs as builtins (echo, printf, test, [, kill):
// in this process.
export function runApplet(sh: Shell, argv: string[]): Promise<number> {
  return run(sh, argv, options(sh, undefined, true, false), undefined);
}

// Not async: a frame here would wait for the whole command.
// `waited`: what follows a child of its own (Shell.afterChild).
function run(sh: Shell, argv: string[], opts: RunOptions, waited: ((status: number) => number | Promise<number>) | undefined): Promise<number> {
  return sh.guard(sh.ctx.run(argv, opts)).then(waited, (err) => notRun(sh, argv, err));
}

async function notRun(sh: Shell, argv: string[], err: unknown): Promise<number> {
  if (!isFsError(err)) throw err;
  // Not found, or not executable: the command never started. A failed
  // PATH search is 127 whatever its error (ash's find_command); a file
  // found that cannot be run is 126 (shellexec). resolve.ts names the file
  // in the error when it found one.
  const notFound = err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'ELOOP' || err.code === 'ENAMETOOLONG';
  await sh.msg(`${argv[0]}: ${notFound ? 'not found' : err.message}`);
  return notFound || !(argv[0].includes('/') || err.path?.startsWith('/')) ? 127 : 126;
}
