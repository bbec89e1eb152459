import type { OutStream } from '../../procs/types';
import { type FsError, isFsError } from '../../rootfs/types';

// An applet's stdout when a write to it fails (a full disk, /dev/full, a
// closed fd): how each of busybox's applets ends then, as its source does.

// glibc's buffer for a stdout that is a file or a pipe (st_blksize).
const STDIO_BUFFER = 4096;

// A write to stdout that failed (ENOSPC, EBADF), found where stdio finds
// it: at a flush of the applet's output. Not an FsError, so an applet's
// catch for its files' errors lets it by to applet(); EPIPE stays an
// FsError (SIGPIPE).
export class StdoutError extends Error {
  constructor(readonly failed: FsError) {
    super(failed.message);
  }
}

// A file an applet writes as its stdout (busybox moves it to fd 1: sort -o,
// uniq's OUTPUT): its failed writes are stdout's.
export function asStdout(stream: OutStream): OutStream {
  return {
    write: async (d) => {
      try {
        await stream.write(d);
      } catch (err) {
        throw isFsError(err) && err.code !== 'EPIPE' ? new StdoutError(err) : err;
      }
    },
  };
}

// - checked: fflush_stdout_and_exit, "standard output: ERR", the status kept;
// - loop: as checked, but past stdio's 4 KiB buffer the write failed in
//   the loop, whose die_if_ferror_stdout says "standard output: I/O error"
//   and ends with 1 (head);
// - fflush: `return fflush_all()`, unsaid, 255;
// - write: xwrite or full_write, "write error: ERR", 1;
// - perror: "(null): ERR", 1 (yes's bb_perror_nomsg_and_die, glibc's %s
//   of NULL);
// - fail: full_write's failure, unsaid, 1;
// - quiet: exit()'s flush, unsaid, the status kept.
export type StdoutPolicy = 'checked' | 'loop' | 'fflush' | 'write' | 'perror' | 'fail' | 'quiet';

const POLICY: Record<string, StdoutPolicy> = {
  ...Object.fromEntries(
    ['base64', 'cksum', 'cmp', 'cut', 'du', 'env', 'expand', 'expr', 'fold', 'id', 'ipcs', 'nl', 'paste', 'printenv', 'readlink', 'realpath', 'rev', 'shuf', 'sort', 'time', 'tty', 'uname', 'unexpand', 'uniq', 'wc'].map((n) => [
      n,
      'checked' as const,
    ]),
  ),
  ...Object.fromEntries(['dirname', 'logname', 'pwd', 'seq', 'whoami'].map((n) => [n, 'fflush' as const])),
  ...Object.fromEntries(['cat', 'echo', 'tac', 'tail', 'tr'].map((n) => [n, 'write' as const])),
  head: 'loop',
  yes: 'perror',
  basename: 'fail',
};

export const stdoutPolicyOf = (applet: string): StdoutPolicy => POLICY[applet] ?? 'quiet';

// What the failing applet is to this module.
export interface Failing {
  readonly stdoutPolicy: StdoutPolicy;
  readonly out: { readonly offered: number };
  readonly ctx: { readonly builtinOf?: string };
  error(msg: string): Promise<void>;
}

// stdout failed, at the end (`status` is the applet's) or on the way
// (undefined: taken as the usual 0, as busybox's stdio buffer would have
// held a small output to the end). As a builtin, ash's evalbltin adds
// ferror(stdout) to the status.
export async function stdoutFailed(t: Failing, err: FsError, status: number | undefined): Promise<number> {
  let s: number;
  // What fitted stdio's buffer fails at the exit's flush, as 'checked'.
  const policy = t.stdoutPolicy === 'loop' && t.out.offered <= STDIO_BUFFER ? 'checked' : t.stdoutPolicy;
  switch (policy) {
    case 'loop':
      await t.error('standard output: I/O error');
      s = 1;
      break;
    case 'checked':
      await t.error(`standard output: ${err.message}`);
      s = status ?? 0;
      break;
    case 'fflush':
      s = 255;
      break;
    case 'write':
      await t.error(`write error: ${err.message}`);
      s = 1;
      break;
    case 'perror':
      await t.error(`(null): ${err.message}`);
      s = 1;
      break;
    case 'fail':
      s = 1;
      break;
    default:
      s = status ?? 0;
  }
  return t.ctx.builtinOf ? s | 1 : s;
}
