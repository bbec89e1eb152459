import { bytesIn } from '../procs/streams';
import { fsPath } from '../rootfs/path';
import { type FileHandle, type OpenFlags, isFsError } from '../rootfs/types';
import type { Redir } from './ast';
import { expandString, expandTarget } from './expand';
import { type Fd, type FdTable, MAX_FD, fileFd, streamFd } from './fds';
import { type Shell, ShellError } from './shell';

// Redirections: they change the shell's fd table for one command (undone
// by restoreRedirs) or for good (`exec >file`).

class RedirError {
  constructor(readonly message: string) {}
}

// What a set of redirections changed, to undo it (restoreRedirs) or keep
// it (keepRedirs). `held` is the reference this set holds in each slot it
// filled: by slot, not by comparing tables, for `>&1` puts back the very Fd
// that was there, and its extra reference must still go.
export interface Redirected {
  readonly saved: FdTable;
  readonly held: FdTable;
  readonly touched: boolean[];
}

// Applies the redirections; answers what to restore afterwards, or null
// after reporting an error (the command does not run, status 1). For
// special builtins an error ends the shell (`fatal`).
export async function applyRedirs(sh: Shell, redirs: readonly Redir[], fatal: boolean): Promise<Redirected | null> {
  const r: Redirected = { saved: sh.fds.slice(), held: [], touched: [] };
  try {
    for (const x of redirs) await one(sh, x, r);
    return r;
  } catch (err) {
    restoreRedirs(sh, r);
    if (!(err instanceof RedirError)) throw err;
    await sh.msg(err.message);
    if (fatal) throw new ShellError(1);
    return null;
  }
}

export function restoreRedirs(sh: Shell, r: Redirected): void {
  for (const f of r.held) f?.release();
  sh.fds = r.saved;
}

// `exec` with only redirections: they stay, and what they replaced loses
// the reference the table had.
export function keepRedirs(r: Redirected): void {
  for (let i = 0; i < r.touched.length; i++) if (r.touched[i]) r.saved[i]?.release();
}

function put(sh: Shell, r: Redirected, fd: number, f: Fd | undefined): void {
  f?.hold();
  r.held[fd]?.release();
  r.held[fd] = f;
  r.touched[fd] = true;
  sh.fds[fd] = f;
}

async function one(sh: Shell, r: Redir, to: Redirected): Promise<void> {
  const fd = r.fd >= 0 ? r.fd : r.op[0] === '<' ? 0 : 1;
  if (fd > MAX_FD) throw new RedirError(`${fd}: Bad file descriptor`);
  switch (r.op) {
    case '<<':
    case '<<-': {
      const body = r.quoted ? (r.target.parts[0]?.t === 'q' ? r.target.parts[0].s : '') : await expandString(sh, r.target, false);
      put(sh, to, fd, streamFd(bytesIn(body), undefined));
      return;
    }
    case '<&':
    case '>&': {
      const t = await expandTarget(sh, r.target);
      if (t === '-') return put(sh, to, fd, undefined);
      if (/^[0-9]+$/.test(t)) return put(sh, to, fd, dup(sh, Number(t)));
      if (r.op === '<&') throw new RedirError(`${t}: Bad file descriptor`);
      // `>&file` is `>file 2>&1` when no fd was given (bash's &>).
      const f = open(sh, t, { write: true, create: true, truncate: true }, false);
      put(sh, to, fd, f);
      if (r.fd < 0) put(sh, to, 2, f);
      return;
    }
  }
  const name = await expandTarget(sh, r.target);
  let f: Fd;
  switch (r.op) {
    case '<':
      f = open(sh, name, { read: true }, true);
      break;
    case '<>':
      f = open(sh, name, { read: true, write: true, create: true }, false);
      break;
    case '>>':
      f = open(sh, name, { write: true, create: true, append: true }, false);
      break;
    case '>':
      if (sh.opts.C && isRegular(sh, name)) throw new RedirError(`can't create ${name}: File exists`);
      f = open(sh, name, { write: true, create: true, truncate: true }, false);
      break;
    default: // '>|' and '&>'
      f = open(sh, name, { write: true, create: true, truncate: true }, false);
  }
  put(sh, to, fd, f);
  if (r.op === '&>') put(sh, to, 2, f);
}

function dup(sh: Shell, n: number): Fd {
  const f = sh.fds[n];
  if (!f) throw new RedirError(`${n}: Bad file descriptor`);
  return f;
}

// Opens a file for a redirection. /dev/stdin, /dev/stdout, /dev/stderr
// and /dev/fd/N are the shell's own fds.
function open(sh: Shell, name: string, flags: OpenFlags, input: boolean): Fd {
  const dev = /^\/dev\/(?:(stdin|stdout|stderr)|fd\/([0-9]+))$/.exec(name);
  if (dev) return dup(sh, dev[1] ? ['stdin', 'stdout', 'stderr'].indexOf(dev[1]) : Number(dev[2]));
  let h: FileHandle;
  try {
    h = sh.ctx.fs.open(fsPath(sh.cwd, name), flags, 0o666 & ~sh.umask);
  } catch (err) {
    if (!isFsError(err)) throw err;
    const missing = err.code === 'ENOENT' || err.code === 'ENOTDIR';
    if (input) throw new RedirError(`can't open ${name}: ${missing ? 'no such file' : err.message}`);
    throw new RedirError(`can't create ${name}: ${missing ? 'nonexistent directory' : err.message}`);
  }
  return fileFd(h, !!flags.read, !!flags.write);
}

function isRegular(sh: Shell, name: string): boolean {
  try {
    return sh.ctx.fs.stat(fsPath(sh.cwd, name)).type === 'file';
  } catch {
    return false;
  }
}
