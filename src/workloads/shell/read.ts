import { chunkBuffer } from '../procs/streams';
import { type Chunk, isFsError } from '../rootfs/types';
import { isName } from './lexer';
import { LIMITS, type Shell } from './shell';

// The read builtin (busybox shell_common.c's shell_builtin_read): a line
// (or -n bytes, or up to -d's character) from fd 0 (or -u), split by IFS
// into the named variables. What it reads past the line stays for the next
// reader of the fd.

interface Opts {
  prompt?: string;
  fd: number;
  raw: boolean;
  timeoutMs?: number;
  nchars: number;
  delim: number;
}

async function options(sh: Shell, argv: string[]): Promise<{ opts: Opts; names: string[] } | number> {
  const opts: Opts = { fd: 0, raw: false, nchars: 0, delim: 10 };
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (a[0] !== '-' || a.length === 1) break;
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if (c === 'r') opts.raw = true;
      else if (c === 's') continue;
      else if ('ptnud'.includes(c)) {
        let v = a.slice(j + 1);
        if (v === '') {
          if (++i >= argv.length) await sh.fail(`-${c} requires an argument`);
          v = argv[i];
        }
        if (c === 'p') opts.prompt = v;
        else if (c === 'd') opts.delim = v === '' ? 0 : Buffer.from(v)[0];
        else if (c === 'n') {
          if (!/^[0-9]+$/.test(v)) await sh.fail('invalid count');
          opts.nchars = Number(v);
        } else if (c === 'u') {
          if (!/^[0-9]+$/.test(v)) await sh.fail('invalid file descriptor');
          opts.fd = Number(v);
        } else {
          const m = /^([0-9]*)(?:\.([0-9]*))?$/.exec(v);
          if (!m || (m[1] === '' && !m[2])) await sh.fail('invalid timeout');
          opts.timeoutMs = Number(m![1] || '0') * 1000 + Number((m![2] ?? '').slice(0, 3).padEnd(3, '0'));
        }
        break;
      } else await sh.fail(`illegal option -${c}`);
    }
  }
  const names = argv.slice(i);
  for (const n of names) {
    if (!isName(n)) {
      await sh.writeErr(`${sh.arg0}: read: '${n}': bad variable name\n`);
      return 1;
    }
  }
  return { opts, names };
}

export async function readBuiltin(sh: Shell, argv: string[]): Promise<number> {
  const parsed = await options(sh, argv);
  if (typeof parsed === 'number') return parsed;
  const { opts, names } = parsed;
  const f = opts.fd < sh.fds.length ? sh.fds[opts.fd] : undefined;
  // read(2) fails (EBADF): the end of the line to shell_builtin_read, unsaid.
  if (!f || !f.input) return 1;
  if (opts.timeoutMs === 0) return 1;
  if (opts.prompt !== undefined && sh.fds[2]?.out?.isTTY) await sh.writeErr(opts.prompt);

  const ifs = sh.ifs();
  const isIfs = (b: number) => ifs.includes(String.fromCharCode(b));
  const isSpace = (b: number) => b === 32 || (b >= 9 && b <= 13);
  const vars = names.slice();
  const clock = sh.ctx.container.clock;
  const deadline = opts.timeoutMs !== undefined ? clock.now() + opts.timeoutMs : undefined;

  let buf = Buffer.alloc(256);
  let pos = 0;
  let startword = 1;
  let backslash = false;
  let nchars = opts.nchars;
  let status = 0;
  let done = false;
  // Keeps a byte; false when the line outgrows the shell's bound.
  const push = (b: number): boolean => {
    if (pos === buf.length) {
      if (buf.length >= LIMITS.bytes) return false;
      const nb = Buffer.alloc(buf.length * 2);
      buf.copy(nb);
      buf = nb;
    }
    buf[pos++] = b;
    return true;
  };
  const assign = async (name: string, value: string) => {
    if (sh.vars.isReadonly(name)) await sh.fail(`${name}: is read only`);
    sh.vars.set(name, value);
  };

  while (!done) {
    await sh.slice();
    const r = await nextChunk(sh, f, deadline).catch((err: unknown) => {
      // shell_builtin_read: a read(2) that fails ends the line, as EOF does.
      if (isFsError(err) && err.code !== 'EPIPE') return null;
      throw err;
    });
    if (r === 'timeout') return 1;
    if (typeof r === 'number') return 128 + r;
    if (r === null) {
      status = 1;
      break;
    }
    const bytes = chunkBuffer(r);
    let k = 0;
    for (; k < bytes.length && !done; k++) {
      const c = bytes[k];
      let put = false;
      if (!opts.raw) {
        if (backslash) {
          backslash = false;
          if (c !== 10) put = true;
          else continue;
        } else if (c === 92) {
          backslash = true;
          continue;
        }
      }
      if (!put) {
        if (c === opts.delim) {
          done = true;
          continue;
        }
        if (c === 0) continue;
        if (vars.length > 0) {
          const ifsChar = isIfs(c);
          if (startword && ifsChar) {
            if (isSpace(c)) continue;
            startword--;
            if (startword === 1) continue;
          }
          startword = 0;
          if (vars.length > 1 && ifsChar) {
            await assign(vars.shift()!, buf.toString('utf8', 0, pos));
            pos = 0;
            startword = isSpace(c) ? 2 : 1;
            continue;
          }
        }
      }
      if (!push(c)) await sh.fail('out of memory');
      if (nchars > 0 && --nchars === 0) done = true;
    }
    // What came after the line is for the next reader.
    if (k < bytes.length) f.unread(Buffer.from(bytes.subarray(k)));
  }

  if (vars.length === 0) {
    await assign('REPLY', buf.toString('utf8', 0, pos));
    return status;
  }
  // Trailing IFS whitespace goes; the last variable takes the rest, with
  // its delimiters, unless it is a single field.
  let end = pos - 1;
  while (end >= 0 && isSpace(buf[end]) && isIfs(buf[end])) end--;
  if (end >= 0 && isIfs(buf[end])) {
    let e2 = end - 1;
    while (e2 >= 0 && isSpace(buf[e2]) && isIfs(buf[e2])) e2--;
    const field = buf.subarray(0, e2 + 1);
    let hasIfs = false;
    for (const b of field) if (isIfs(b)) hasIfs = true;
    if (!hasIfs) end = e2;
  }
  await assign(vars.shift()!, buf.toString('utf8', 0, end + 1));
  for (const v of vars) await assign(v, '');
  return status;
}

// The next chunk of input; 'timeout', or the number of a trapped signal
// that interrupted the wait.
async function nextChunk(sh: Shell, f: import('./fds').Fd, deadline: number | undefined): Promise<Chunk | null | 'timeout' | number> {
  const p = f.read(64 * 1024);
  let timer: AbortController | undefined;
  let race: Promise<Chunk | null | 'timeout'> = p;
  if (deadline !== undefined) {
    const left = deadline - sh.ctx.container.clock.now();
    if (left <= 0) {
      f.keep(p);
      return 'timeout';
    }
    timer = new AbortController();
    const t = sh.ctx.container.clock.sleep(left, timer.signal).then(
      () => 'timeout' as const,
      () => new Promise<never>(() => {}),
    );
    race = Promise.race([p, t]);
  }
  try {
    const r = await sh.interruptible(race);
    if ('signal' in r) {
      f.keep(p);
      return r.signal;
    }
    if (r.value === 'timeout') f.keep(p);
    return r.value;
  } finally {
    timer?.abort();
  }
}
