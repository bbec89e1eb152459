import { chunkBuffer } from '../procs/streams';
import { isFsError } from '../rootfs/types';
import { strftime } from './common/date';
import { DumpError, dump } from './common/dump';
import { unescapeAll } from './common/escape';
import { BKM, NumberError, parseUnsigned } from './common/numbers';
import { readSmall } from './common/read-small';
import { type Input, type Tool, applet, fromBin, toBin } from './common/tool';
import { Names } from './common/users';
import { execProgram, id } from './system';
import { Operands, openInput } from './text';

// Small ones: unlink link tty groups arch uptime logname rev paste time
// watch hexdump clear.

export const unlink = applet(async (t) => {
  const p = t.parse({});
  if (p.operands.length !== 1) return t.usage();
  try {
    t.ctx.fs.unlink(t.path(p.operands[0]));
  } catch (err) {
    if (!isFsError(err)) throw err;
    return t.die(`can't delete '${p.operands[0]}': ${err.message}`);
  }
  return 0;
});

export const link = applet(async (t) => {
  const p = t.parse({});
  if (p.operands.length !== 2) return t.usage();
  try {
    t.ctx.fs.link(t.path(p.operands[0]), t.path(p.operands[1]));
  } catch (err) {
    if (!isFsError(err)) throw err;
    return t.die(`can't create link '${p.operands[1]}' to '${p.operands[0]}': ${err.message}`);
  }
  return 0;
});

export const tty = applet(async (t) => {
  const p = t.parse({ short: 's' });
  // ttyname(0): the terminal of stdin.
  const isTty = t.ctx.stdin.isTTY === true;
  if (!p.has('s')) await t.out.text(isTty ? '/dev/pts/0\n' : 'not a tty\n');
  return isTty ? 0 : 1;
});

export const groups = applet(async (t) => {
  const names = new Names(t.ctx.fs);
  const args = t.args;
  if (args.length === 0) {
    const ident = t.ctx.proc.identity;
    const list = [...new Set([ident.gid, ...ident.groups])].map((g) => names.group(g) ?? String(g));
    await t.out.text(list.join(' ') + '\n');
    return 0;
  }
  // groups USER is id -Gn USER.
  // The same context with other arguments (a spread would drop its methods).
  return id(Object.assign(Object.create(t.ctx) as typeof t.ctx, { argv: ['id', '-Gn', ...args] }));
});

export const arch = applet(async (t) => {
  await t.out.text(t.ctx.container.arch + '\n');
  return 0;
});

export const uptime = applet(async (t) => {
  const p = t.parse({ short: 's' });
  const now = t.ctx.container.clock.now();
  const first = t.ctx.container.procs.get(1)?.startMs ?? t.ctx.proc.startMs;
  // -s: when it came up.
  if (p.has('s')) {
    await t.out.text(strftime('%Y-%m-%d %H:%M:%S', first) + '\n');
    return 0;
  }
  const up = Math.max(0, Math.floor((now - first) / 1000));
  const days = Math.floor(up / 86400);
  const hours = Math.floor((up % 86400) / 3600);
  const mins = Math.floor((up % 3600) / 60);
  let s = ` ${strftime('%H:%M:%S', now)} up `;
  if (days) s += `${days} day${days === 1 ? '' : 's'}, `;
  s += hours ? `${String(hours).padStart(2)}:${String(mins).padStart(2, '0')}` : `${mins} min`;
  s += ',  load average: 0.00, 0.00, 0.00\n';
  await t.out.text(s);
  return 0;
});

export const logname = applet(async (t) => {
  // No controlling terminal, no utmp entry: getlogin() fails.
  return t.die('getlogin: No such device or address');
});

export const rev = applet(async (t) => {
  const p = t.parse({});
  let status = 0;
  for (const f of p.operands.length ? p.operands : ['-']) {
    const input = await openInput(t, f);
    if (!input) {
      status = 1;
      continue;
    }
    // fgets: a read that fails ends the file, unsaid.
    input.asStdio();
    try {
      for (let l = await input.line(); l !== null; l = await input.line()) {
        const chars = [...fromBin(l)].reverse().join('');
        await t.out.bin(toBin(chars) + (input.newline ? '\n' : ''));
      }
    } finally {
      input.close();
    }
  }
  return status;
});

// paste_files and paste_files_separate: a line's delimiter goes out right
// after it, and a file at its end gives nothing (no empty column), so
// files of unequal length come out as busybox's do. Reads are stdio's: one
// that fails ends its file.
export const paste = applet(async (t) => {
  const p = t.parse({ short: 'd:s' });
  let delims = '\t';
  if (p.has('d')) {
    if (p.value('d') === '') return t.die("-d '' is not supported");
    delims = unescapeAll(toBin(p.value('d')!));
  }
  let at = 0;
  // The next delimiter, cycling; NUL puts none.
  const nextDelim = () => {
    const d = delims[at++];
    if (at === delims.length) at = 0;
    return d === '\0' ? '' : d;
  };
  const inputs: (Input | undefined)[] = [];
  // Each "-" is the one stdin FILE: `paste - -` takes its lines in turn.
  let stdin: Input | undefined;
  for (const n of p.operands.length ? p.operands : ['-']) {
    const i = n === '-' ? (stdin ??= t.input('-')) : await openInput(t, n);
    if (!i) {
      for (const x of inputs) x?.close();
      return 1;
    }
    inputs.push(i.asFgets());
  }
  try {
    if (p.has('s')) {
      for (const input of inputs as Input[]) {
        at = 0;
        let line: string | null = null;
        for (let next = await input.line(); next !== null; next = await input.line()) {
          if (line !== null) await t.out.bin(line + nextDelim());
          line = next;
        }
        if (line !== null) await t.out.bin(line + '\n');
      }
      return 0;
    }
    for (let active = inputs.length; active > 0; ) {
      at = 0;
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i];
        if (!input) continue;
        const line = await input.line();
        if (line === null) {
          input.close();
          inputs[i] = undefined;
          active--;
          continue;
        }
        await t.out.bin(line + (i === inputs.length - 1 ? '\n' : nextDelim()));
      }
    }
    return 0;
  } finally {
    for (const i of inputs) i?.close();
  }
});

const fmtSecs = (ms: number) => {
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  return `${m}m ${(s - m * 60).toFixed(2)}s`;
};

export const time = applet(async (t) => {
  const p = t.parse({ short: 'vpao:f:', stopAtOperand: true });
  if (p.operands.length === 0) return t.usage();
  const clock = t.ctx.container.clock;
  const start = clock.now();
  const status = await execProgram(t, p.operands);
  const elapsed = clock.now() - start;
  let s = '';
  if (status > 128) s += `Command terminated by signal ${status - 128}\n`;
  else if (status) s += `Command exited with non-zero status ${status}\n`;
  s += p.has('p') ? `real ${(elapsed / 1000).toFixed(2)}\nuser 0.00\nsys 0.00\n` : `real\t${fmtSecs(elapsed)}\nuser\t0m 0.00s\nsys\t0m 0.00s\n`;
  if (p.has('o')) {
    try {
      const o = t.output(p.value('o')!, { create: true, truncate: !p.has('a'), append: p.has('a') });
      await o.stream.write(s);
      o.close();
    } catch (err) {
      if (!isFsError(err)) throw err;
      return t.die(`can't open '${p.value('o')}': ${err.message}`);
    }
  } else await t.ctx.stderr.write(s);
  return status > 128 ? status - 128 : status;
});

// watch: runs the command every N seconds until stopped.
export const watch = applet(async (t) => {
  const p = t.parse({ short: 'n:td', stopAtOperand: true });
  if (p.operands.length === 0) return t.usage();
  const secs = Number(p.value('n') ?? 2);
  if (!Number.isFinite(secs) || secs < 0) return t.die(`invalid number '${p.value('n')}'`);
  const cmd = p.operands.join(' ');
  for (;;) {
    // As busybox's: the screen cleared whatever stdout is; the command
    // padded to stderr's width (80 off a terminal), and the time written
    // over its last 20 columns.
    await t.out.text('\x1b[H\x1b[J');
    if (!p.has('t')) {
      const width = t.ctx.stderr.tty?.cols || 80;
      let header = `Every ${secs.toFixed(1)}s: ${cmd.padEnd(width)}`;
      if (width > 20) header = header.slice(0, width - 20) + strftime('%Y-%m-%d %H:%M:%S', t.ctx.container.clock.now());
      await t.out.text(`${header}\n\n`);
    }
    await execProgram(t, ['sh', '-c', cmd]);
    await t.out.flush();
    await t.ctx.sleep(Math.max(0.1, secs) * 1000);
  }
});

export const clear = applet(async (t) => {
  await t.out.text('\x1b[H\x1b[J');
  return 0;
});

// hexdump and hd, as busybox's: each option adds its format strings (they
// are cumulative: -C -C dumps each line twice), -e and -f add the user's,
// and libbb's dump engine (common/dump.ts) runs them.
const ADD_STRINGS: Record<string, string> = {
  b: '16/1 " %03o',
  c: '16/1 " %3_c',
  d: '8/2 "   %05u',
  o: '8/2 "  %06o',
  x: '8/2 "    %04x',
};
const addFormat = (fmt: string) => ['"%07_Ax\n"', `"%07_ax"${fmt}""\n"`];
const CANONICAL = ['"%08_Ax\n"', '"%08_ax "8/1 " %02x"" "8/1 " %02x"', '"  |"16/1 "%_p""|\n"'];

export const hexdump = applet(async (t) => {
  const p = t.parse({ short: 'bcdoxCe:f:n:s:v' });
  // Format strings are byte strings to the engine.
  const bytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  const formats: string[] = [];
  let length = Infinity;
  let skip = 0;
  for (const { key, value } of t.name === 'hd' ? [{ key: 'C' }, ...p.seen] : p.seen) {
    if (key in ADD_STRINGS) formats.push(...addFormat(ADD_STRINGS[key]));
    else if (key === 'C') formats.push(...CANONICAL);
    else if (key === 'e') formats.push(bytes(value!));
    else if (key === 'f') {
      try {
        t.ctx.fs.stat(t.path(value!));
      } catch (err) {
        if (!isFsError(err)) throw err;
        return t.die(`can't open '${value}': ${err.message}`);
      }
      const text = readSmall(t.ctx.fs, t.path(value!));
      for (const line of text.split('\n')) if (line.trim() && !line.trim().startsWith('#')) formats.push(bytes(line));
    } else if (key === 'n') {
      if (!/^\d+$/.test(value!)) return t.die(`invalid number '${value}'`);
      length = Number(value);
    } else if (key === 's') {
      // xstrtoull_range_sfx, base 0: hex and octal too.
      try {
        skip = parseUnsigned(value!, BKM, 0, Number.MAX_SAFE_INTEGER, 0);
      } catch (err) {
        if (err instanceof NumberError) return t.die(err.message);
        throw err;
      }
    }
  }
  if (formats.length === 0) formats.push(...addFormat('8/2 " %04x'));
  // dump.c's get(): perror of argv[-1] (the applet's own name for stdin),
  // and the status stays.
  const src = new Operands(t, p.operands.length ? p.operands : ['-'], skip, length, async (name, err) => {
    await t.perror(name === '-' ? t.name : name, err);
    return 0;
  });
  try {
    // do_skip: a file the skip covers moves the address on by its size, so
    // an input shorter than the skip starts (and ends) at its length.
    const read = await src.readAhead();
    await dump({ formats, all: p.has('v'), start: skip - src.skipLeft, read, write: (s) => t.out.chunk(Buffer.from(s, 'latin1')) });
  } catch (err) {
    if (err instanceof DumpError) return t.die(err.message);
    throw err;
  } finally {
    src.close();
  }
  return src.status;
});
