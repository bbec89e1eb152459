import { concatPath } from './common/concat-path';
import { isFsError } from '../rootfs/types';
import { RegexError, regexSource } from './common/regex';
import { Exit, type Input, type Tool, applet, fromBin, toBin } from './common/tool';

// grep (and egrep, fgrep): busybox's options, output and exit codes
// (0 selected lines, 1 none, 2 an error).

interface Options {
  invert: boolean;
  count: boolean;
  quiet: boolean;
  list: boolean;
  listNon: boolean;
  number: boolean;
  only: boolean;
  silent: boolean;
  before: number;
  after: number;
  max: number; // -1: no limit
  nul: boolean;
}

class Grep {
  printFilename = false;
  openErrors = false;
  private lastPrinted = 0;
  private didPrint = false;
  private cur = '';

  constructor(
    private readonly t: Tool,
    private readonly re: RegExp,
    private readonly o: Options,
  ) {}

  private async printLine(line: string, linenum: number, deco: string): Promise<void> {
    if (linenum < 1) return;
    if ((this.o.before || this.o.after) && this.didPrint && this.lastPrinted !== linenum - 1) await this.t.out.text('--\n');
    this.didPrint = true;
    this.lastPrinted = linenum;
    let s = '';
    if (this.printFilename) s += toBin(this.cur) + deco;
    if (this.o.number) s += `${linenum}${deco}`;
    if (!(this.o.invert && this.o.only)) s += line + (this.o.nul ? '\0' : '\n');
    await this.t.out.bin(s);
  }

  // Answers whether the file had a selected line (or, for -L, was listed).
  async file(input: Input, name: string): Promise<boolean> {
    this.cur = name;
    this.lastPrinted = 0;
    const o = this.o;
    const sep = o.nul ? '\0' : '\n';
    const before: [string, number][] = [];
    let linenum = 0;
    let nmatches = 0;
    let afterLeft = 0;
    for (let line = await input.record(sep); line !== null; line = await input.record(sep)) {
      linenum++;
      this.re.lastIndex = 0;
      const found = this.re.test(line);
      if (found !== o.invert) {
        nmatches++;
        if (o.quiet) throw new Exit(0);
        if (o.list) {
          await this.t.out.text(name + '\n');
          return true;
        }
        if (o.listNon) return false;
        if (o.max >= 0 && nmatches > o.max) break;
        if (!o.count) {
          for (const [l, n] of before) await this.printLine(l, n, '-');
          before.length = 0;
          afterLeft = o.after;
          if (o.only) {
            if (found) {
              this.re.lastIndex = 0;
              for (let m = this.re.exec(line); m !== null; m = this.re.exec(line)) {
                if (m[0].length === 0) {
                  this.re.lastIndex++;
                  continue;
                }
                await this.printLine(m[0], linenum, ':');
              }
            } else await this.printLine(line, linenum, ':');
          } else await this.printLine(line, linenum, ':');
        }
      } else if (afterLeft > 0) {
        await this.printLine(line, linenum, '-');
        afterLeft--;
      } else if (o.before > 0) {
        before.push([line, linenum]);
        if (before.length > o.before) before.shift();
      }
      if (o.max >= 0 && afterLeft === 0 && nmatches === o.max) break;
    }
    if (o.count) await this.t.out.text(`${this.printFilename ? name + ':' : ''}${nmatches}\n`);
    if (o.listNon) {
      await this.t.out.text(name + '\n');
      return true;
    }
    return nmatches !== 0;
  }
}

export const grep = applet(async (t) => {
  t.usageStatus = 2;
  const p = t.parse({
    // OPTSTR_GREP, and --color its one long option.
    short: 'lnqvscFiHhe:f:LorRm:wxA:B:C:EzaI',
    long: { color: '\u00ff::' },
  });
  const num = async (k: string) => {
    const v = p.value(k)!;
    if (!/^\d+$/.test(v)) return t.die(`invalid number '${v}'`, 2);
    return Number(v);
  };
  let after = 0;
  let before = 0;
  if (p.has('C')) after = before = await num('C');
  if (p.has('A')) after = await num('A');
  if (p.has('B')) before = await num('B');
  const o: Options = {
    invert: p.has('v'),
    count: p.has('c'),
    quiet: p.has('q'),
    list: p.has('l'),
    listNon: p.has('L'),
    number: p.has('n'),
    only: p.has('o'),
    silent: p.has('s'),
    before,
    after,
    max: p.has('m') ? await num('m') : -1,
    nul: p.has('z'),
  };
  if (o.count || o.quiet || o.list || o.listNon) {
    o.number = false;
    o.before = o.after = 0;
  }
  let ops = p.operands;
  const patterns: string[] = [];
  for (const e of p.values('e')) patterns.push(...toBin(e).split('\n'));
  let fromFiles = false;
  for (const f of p.values('f')) {
    fromFiles = true;
    let input: Input;
    try {
      input = t.input(f);
    } catch (err) {
      if (!isFsError(err)) throw err;
      return t.die(`${f}: ${err.message}`, 2);
    }
    try {
      for (let l = await input.line(); l !== null; l = await input.line()) patterns.push(l);
    } finally {
      input.close();
    }
  }
  if (!p.has('e') && !fromFiles) {
    if (ops.length === 0) return t.usage();
    patterns.push(...toBin(ops[0]).split('\n'));
    ops = ops.slice(1);
  }
  if (fromFiles && patterns.length === 0) {
    // -f EMPTY: nothing matches (everything with -v).
    patterns.push(p.has('x') ? '[\\s\\S]*' : '');
    o.invert = !o.invert;
  }
  const extended = p.has('E') || t.name === 'egrep';
  const fixed = p.has('F') || t.name === 'fgrep';
  let sources: string[];
  try {
    sources = patterns.map((pat) => (fixed ? pat.replace(/[\\^$.|?*+()[\]{}\/]/g, '\\$&') : regexSource(pat, extended)));
  } catch (err) {
    if (!(err instanceof RegexError)) throw err;
    return t.die(`bad regex '${fromBin(patterns.join('\n'))}': ${err.message}`, 2);
  }
  let src = sources.map((s) => `(?:${s})`).join('|');
  if (p.has('x')) src = `^(?:${src})$`;
  else if (p.has('w')) src = `(?<![A-Za-z0-9_])(?:${src})(?![A-Za-z0-9_])`;
  let re: RegExp;
  try {
    re = new RegExp(src, 'g' + (p.has('i') ? 'i' : ''));
  } catch (err) {
    return t.die(`bad regex '${fromBin(patterns.join('\n'))}': ${err instanceof Error ? err.message : String(err)}`, 2);
  }
  const g = new Grep(t, re, o);
  g.printFilename = ops.length > 1;
  if (p.has('H')) g.printFilename = true;
  if (p.has('h')) g.printFilename = false;
  const recursive = p.has('r') || p.has('R');
  // busybox reads stdin with no file, -r or not (GNU's -r takes '.').
  if (ops.length === 0) ops = ['-'];
  let matched = false;

  const one = async (name: string): Promise<void> => {
    let input: Input;
    try {
      input = t.input(name);
    } catch (err) {
      if (!isFsError(err)) throw err;
      if (!o.silent) await t.perror(name, err);
      g.openErrors = true;
      return;
    }
    try {
      if (await g.file(input, name === '-' ? '(standard input)' : name)) matched = true;
    } catch (err) {
      // A read that fails (a directory opens, then read() gives EISDIR) is
      // the end of the file to busybox's grep, said nowhere.
      if (!isFsError(err) || err.code === 'EPIPE') throw err;
    } finally {
      input.close();
    }
  };

  const walk = async (dir: string, depth: number): Promise<void> => {
    let names: string[];
    try {
      names = t.ctx.fs.readdir(t.path(dir));
    } catch (err) {
      // recursive_action's opendir: said even with -s, and not one of
      // grep's open errors (the status stays 0 or 1).
      if (!isFsError(err)) throw err;
      await t.perror(dir, err);
      return;
    }
    for (const n of names.sort()) {
      const path = concatPath(dir, n);
      let st;
      try {
        st = t.ctx.fs.lstat(t.path(path));
        if (st.type === 'symlink') {
          if (!p.has('R')) continue;
          st = t.ctx.fs.stat(t.path(path));
        }
      } catch (err) {
        if (!isFsError(err)) throw err;
        if (!o.silent) await t.perror(path, err);
        continue;
      }
      if (st.type === 'dir') await walk(path, depth + 1);
      else await one(path);
      await t.yield();
    }
  };

  for (const name of ops) {
    if (recursive && name !== '-') {
      let isDir = false;
      try {
        isDir = t.ctx.fs.stat(t.path(name)).type === 'dir';
      } catch {
        isDir = false;
      }
      if (isDir) {
        if (!p.has('h')) g.printFilename = true;
        await walk(name, 0);
        continue;
      }
    }
    await one(name);
  }
  if (g.openErrors) return 2;
  return matched ? 0 : 1;
});
