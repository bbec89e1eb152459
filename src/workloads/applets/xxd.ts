import { isFsError } from '../rootfs/types';
import { DumpError, dump } from './common/dump';
import { NumberError, parseUnsigned } from './common/numbers';
import { type Tool, applet } from './common/tool';
import { Operands, openInput } from './text';

// xxd as busybox's xxd_main: format strings for libbb's dump engine
// (common/dump.ts) built from -c, -g, -p and -i; -r is its own reverse().

export const xxd = applet(async (t) => {
  const p = t.parse({ short: 'l:s:apirg:c:o:' });
  if (p.operands.length > 1) return t.usage();
  let length = Infinity;
  let skip = 0;
  let group = 2;
  let cols = 0;
  let shown = 0;
  try {
    if (p.has('l')) length = parseUnsigned(p.value('l')!, {}, 0, 2 ** 31 - 1, 0);
    if (p.has('s')) skip = parseUnsigned(p.value('s')!, {}, 0, Number.MAX_SAFE_INTEGER, 0);
    // getopt32's "+": xatoi_positive.
    if (p.has('g')) group = parseUnsigned(p.value('g')!, {}, 0, 2 ** 31 - 1);
    if (p.has('c')) cols = parseUnsigned(p.value('c')!, {}, 0, 2 ** 31 - 1);
  } catch (err) {
    if (err instanceof NumberError) return t.die(err.message);
    throw err;
  }
  if (p.has('r')) return reverse(t, p.has('p'), p.operands[0], skip);
  if (p.has('o')) {
    // xstrtoll, base 0: negative too.
    const o = p.value('o')!;
    const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(o);
    if (!m) return t.die(`invalid number '${o}'`);
    const digits = m[2];
    const v = /^0[xX]/.test(digits) ? parseInt(digits, 16) : digits.startsWith('0') ? parseInt(digits, 8) : Number(digits);
    shown = m[1] === '-' ? -v : v;
  }
  const formats: string[] = [];
  let bytes = group;
  if (p.has('p')) {
    if (cols === 0) cols = 30;
    bytes = cols; // -p ignores -g
  } else {
    if (cols === 0) cols = p.has('i') ? 12 : 16;
    if (p.has('i')) {
      bytes = 1; // -i ignores -g
      formats.push('" "');
    } else formats.push('"%08_ax: "');
  }
  if (bytes < 1 || bytes >= cols) formats.push(`${cols}/1 "%02x"`);
  else if (bytes === 1) formats.push(p.has('i') ? `${cols}/1 " 0x%02x,"` : `${cols}/1 "%02x "`);
  else {
    let units = '';
    for (let i = 1; i <= cols; i++) units += i === cols || i % bytes ? '/1 "%02x"' : '/1 "%02x "';
    formats.push(units);
  }
  const plain = p.has('p') || p.has('i');
  formats.push(plain ? '"\n"' : `"  "${cols}/1 "%_p""\n"`);
  const name = p.operands[0];
  const cName = (s: string) => (/^\d/.test(s) ? '__' : '') + s.replace(/[^A-Za-z0-9]/g, '_');
  if (p.has('i') && name !== undefined) await t.out.text(`unsigned char ${cName(name)}[] = {\n`);
  // dump.c's get(): a file that cannot open or read is said, status 1.
  const src = new Operands(t, name === undefined ? ['-'] : [name], skip, length, async (n, err) => {
    await t.perror(n === '-' ? t.name : n, err);
    return 1;
  });
  let end: number;
  try {
    const read = await src.readAhead();
    end = await dump({ formats, all: true, start: skip - src.skipLeft, displayOffset: shown, eofString: plain ? '\n' : undefined, read, write: (s) => t.out.chunk(Buffer.from(s, 'latin1')) });
  } catch (err) {
    if (err instanceof DumpError) return t.die(err.message);
    throw err;
  } finally {
    src.close();
  }
  if (src.status === 0 && p.has('i') && name !== undefined) await t.out.text(`};\nunsigned int ${cName(name)}_len = ${end};\n`);
  return src.status;
});

const hexval = (c: string | undefined): number => (c === undefined ? -1 : /^[0-9a-fA-F]$/.test(c) ? parseInt(c, 16) : -1);
const skipSpace = (s: string, at: number): number => {
  while (at < s.length && /\s/.test(s[at])) at++;
  return at;
};

// reverse(): hex back to bytes. Without -p each line starts with its
// offset (plus -s), where the output goes: stdout cannot seek here, so a gap
// forward is zeros, and a step back is fseeko's failure on a pipe.
async function reverse(t: Tool, plain: boolean, name: string | undefined, sOfs: number): Promise<number> {
  const inp = (await openInput(t, name ?? '-', 'cant'))?.asStdio();
  if (!inp) return 1;
  let cur = 0;
  const out: number[] = [];
  const flush = async () => {
    if (out.length) await t.out.chunk(Buffer.from(out));
    out.length = 0;
  };
  try {
    let line = await inp.line();
    let at = 0;
    // The line's address (bb_strtoll, base 16) then an optional ':'.
    const address = async (l: string) => {
      at = skipSpace(l, 0);
      const digits = /^[0-9a-fA-F]*/.exec(l.slice(at))![0];
      if (!digits || /[0-9A-Za-z]/.test(l[at + digits.length] ?? '')) await t.die(`invalid number '${l.slice(at)}'`);
      const ofs = parseInt(digits, 16) + sOfs;
      at += digits.length;
      if (ofs < cur) {
        await flush();
        await t.die('cannot seek: Illegal seek');
      }
      for (; cur < ofs; cur++) out.push(0);
      if (l[at] === ':') at++;
    };
    lines: while (line !== null) {
      if (!plain) await address(line);
      else at = 0;
      nibble1: for (;;) {
        // One character that is not hex is passed over; a second ends the line.
        let bad = 0;
        let hi: number;
        for (;;) {
          if (plain) at = skipSpace(line, at);
          hi = hexval(line[at++]);
          if (hi >= 0) break;
          if (at > line.length || bad) {
            line = await inp.line();
            continue lines;
          }
          bad++;
        }
        for (;;) {
          if (plain) at = skipSpace(line, at);
          const lo = hexval(line[at++]);
          if (lo >= 0) {
            out.push((hi << 4) | lo);
            cur++;
            if (out.length >= 65536) await flush();
            continue nibble1;
          }
          if (at <= line.length) {
            // "3<not hex>": the 3 is dropped, and all up to the next hex digit.
            while (hexval(line[at]) < 0) {
              if (at >= line.length) {
                line = await inp.line();
                continue lines;
              }
              at++;
            }
            continue nibble1;
          }
          // With -p the second digit may start the next line; without, the
          // next line's address comes first and the first digit is lost.
          line = await inp.line();
          if (line === null) break lines;
          if (!plain) {
            await address(line);
            continue nibble1;
          }
          at = 0;
        }
      }
    }
  } finally {
    inp.close();
  }
  await flush();
  return 0;
}
