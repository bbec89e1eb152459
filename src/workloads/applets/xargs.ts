import { emptyIn } from '../procs/streams';
import { isFsError } from '../rootfs/types';
import { type Input, applet, fromBin } from './common/tool';

// xargs: items from stdin (blank-separated with quotes, lines with -I,
// NUL-separated with -0), commands run one after another, busybox's exit
// codes (123 some failed, 124 one exited 255, 125 killed, 126/127 not run).

// busybox's default line size: ARG_MAX, at most 32 KiB, less 2048 for the
// environment (POSIX's advice).
const MAX_CHARS = 32 * 1024 - 2048;

// The next item in the default syntax: blanks separate, quotes and
// backslash protect. Answers null at the end.
async function nextWord(input: Input, state: { buf: string; eof: boolean }): Promise<string | null> {
  for (;;) {
    const m = /^[ \t\n\v\f\r]*/.exec(state.buf)!;
    state.buf = state.buf.slice(m[0].length);
    if (state.buf === '' && !state.eof) {
      const b = await input.bytes();
      if (b === null) state.eof = true;
      else state.buf += b.toString('latin1');
      continue;
    }
    if (state.buf === '') return null;
    let word = '';
    let quote = '';
    let i = 0;
    for (;;) {
      if (i >= state.buf.length) {
        if (state.eof) {
          if (quote) throw new XargsError(`unmatched ${quote === '"' ? 'double' : 'single'} quote`);
          state.buf = '';
          return word;
        }
        const b = await input.bytes();
        if (b === null) state.eof = true;
        else state.buf += b.toString('latin1');
        continue;
      }
      const c = state.buf[i];
      if (quote) {
        if (c === quote) quote = '';
        else word += c;
        i++;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        i++;
        continue;
      }
      if (c === '\\' && i + 1 < state.buf.length) {
        word += state.buf[i + 1];
        i += 2;
        continue;
      }
      if (/[ \t\n\v\f\r]/.test(c)) {
        state.buf = state.buf.slice(i);
        return word;
      }
      word += c;
      i++;
    }
  }
}

class XargsError extends Error {}

export const xargs = applet(async (t) => {
  const p = t.parse({
    // busybox's OPTION_STR: not GNU's -d or -L.
    short: 'trn:s:e::E:opx0I:i::P:a:',
    long: { 'no-run-if-empty': 'r' },
    stopAtOperand: true,
  });
  const num = async (k: string) => {
    const v = p.value(k)!;
    if (!/^\d+$/.test(v) || Number(v) === 0) return t.die(`invalid number '${v}'`);
    return Number(v);
  };
  const maxArgs = p.has('n') ? await num('n') : Infinity;
  const maxChars = p.has('s') ? await num('s') : MAX_CHARS;
  const repl = p.has('I') ? p.value('I')! : p.has('i') ? p.value('i') || '{}' : undefined;
  const eofStr = p.value('E') ?? p.value('e');
  const cmd = p.operands.length ? p.operands : ['echo'];
  // What is left of the line for the items, each with its NUL, once the
  // command's own words (and theirs) are counted, as busybox counts it.
  const room = maxChars - cmd.reduce((n, w) => n + Buffer.byteLength(w) + 1, 0);
  if (room <= 0) return t.die("can't fit single argument within argument list size limit");
  let input: Input;
  try {
    input = p.has('a') ? t.input(p.value('a')!) : t.input('-');
  } catch (err) {
    if (!isFsError(err)) throw err;
    return t.die(`can't open '${p.value('a')}': ${err.message}`);
  }
  // getc: a read that fails is the end of the input, unsaid.
  input.asStdio();

  let exitcode = 0;
  // Runs one command; false stops xargs.
  const exec = async (items: string[]): Promise<boolean> => {
    const argv = repl !== undefined ? cmd.map((w) => w.split(repl).join(items[0] ?? '')) : [...cmd, ...items];
    if (p.has('t')) await t.ctx.stderr.write(argv.join(' ') + '\n');
    await t.out.flush();
    let status: number;
    try {
      status = await t.ctx.run(argv, { stdin: emptyIn });
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(argv[0], err);
      exitcode = err.code === 'ENOENT' ? 127 : 126;
      return false;
    }
    if (status > 128 && status < 160) {
      await t.error(`'${argv[0]}' terminated by signal ${status - 128}`);
      exitcode = 125;
      return false;
    }
    if (status === 255) {
      await t.error(`${argv[0]}: exited with status 255; aborting`);
      exitcode = 124;
      return false;
    }
    if (status !== 0) exitcode = 123;
    return true;
  };

  // Items: NUL-ended (-0), lines (-I), or words.
  const state = { buf: '', eof: false };
  const nextItem = async (): Promise<string | null> => {
    if (p.has('0')) return input.record('\0');
    if (repl !== undefined) {
      for (;;) {
        const l = await input.line();
        if (l === null) return null;
        const s = l.replace(/^[ \t]+/, '');
        if (s !== '') return s;
      }
    }
    return nextWord(input, state);
  };

  let ran = false;
  try {
    let batch: string[] = [];
    let chars = 0;
    for (;;) {
      const raw = await nextItem();
      if (raw === null) break;
      const item = fromBin(raw);
      if (eofStr !== undefined && eofStr !== '' && item === eofStr) break;
      if (repl !== undefined) {
        ran = true;
        if (!(await exec([item]))) return exitcode;
        continue;
      }
      const size = Buffer.byteLength(item) + 1;
      // -x is taken and, as in busybox (OPT_TERMINATE is never read), does nothing.
      if (batch.length > 0 && chars + size > room) {
        ran = true;
        if (!(await exec(batch))) return exitcode;
        batch = [];
        chars = 0;
      }
      // One that does not fit alone fills busybox's buffer with no item in it.
      if (size > room) return t.die('argument line too long');
      batch.push(item);
      chars += size;
      if (batch.length >= maxArgs) {
        ran = true;
        if (!(await exec(batch))) return exitcode;
        batch = [];
        chars = 0;
      }
      await t.yield();
    }
    if (batch.length > 0 || (!ran && !p.has('r'))) {
      if (!(await exec(batch))) return exitcode;
    }
  } catch (err) {
    if (err instanceof XargsError) return t.die(err.message);
    throw err;
  } finally {
    input.close();
  }
  return exitcode;
});

