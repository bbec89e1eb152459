import { emptyIn } from '../procs/streams';
import { type Stat, isFsError } from '../rootfs/types';
import { concatPath } from './common/concat-path';
import { fnmatch } from './common/glob';
import { parseMode } from './common/mode';
import { RegexError, regexSource } from './common/regex';
import { Exit, type Tool, applet, toBin } from './common/tool';
import { Names } from './common/users';

// find: busybox's tests and actions over a walk with lstat.

interface Ctx {
  path: string;
  st: Stat;
  depth: number;
}

// A node answers true/false; `prune` asks the walk not to descend.
type Node = (c: Ctx, flags: { prune: boolean }) => Promise<boolean>;

interface ExecPlus {
  argv: string[];
  files: string[];
}

class Parser {
  private i = 0;
  needPrint = true;
  maxDepth = Infinity;
  minDepth = 0;
  depthFirst = false;
  xdev = false;
  follow = false;
  plus: ExecPlus[] = [];
  status = 0;

  constructor(
    private readonly t: Tool,
    private readonly args: string[],
  ) {}

  private peek(): string | undefined {
    return this.args[this.i];
  }

  parse(): Node {
    if (this.i >= this.args.length) return async () => true;
    const n = this.or();
    if (this.i < this.args.length) {
      if (this.args[this.i] === ')') throw new FindError("unpaired ')'");
      throw new FindError(`unrecognized: ${this.args[this.i]}`);
    }
    return n;
  }

  private or(): Node {
    let left = this.and();
    while (this.peek() === '-o' || this.peek() === '-or') {
      this.i++;
      const l = left;
      const r = this.and();
      left = async (c, f) => (await l(c, f)) || r(c, f);
    }
    return left;
  }

  private and(): Node {
    let left = this.not();
    for (;;) {
      const p = this.peek();
      if (p === undefined || p === '-o' || p === '-or' || p === ')') return left;
      if (p === '-a' || p === '-and') this.i++;
      const l = left;
      const r = this.not();
      left = async (c, f) => (await l(c, f)) && r(c, f);
    }
  }

  private not(): Node {
    const p = this.peek();
    if (p === '!' || p === '-not') {
      this.i++;
      const n = this.not();
      return async (c, f) => !(await n(c, f));
    }
    return this.primary();
  }

  private arg(name: string): string {
    const v = this.args[++this.i];
    if (v === undefined) throw new FindError(`${name} requires an argument`);
    return v;
  }

  private primary(): Node {
    const a = this.args[this.i];
    if (a === '(') {
      this.i++;
      const n = this.or();
      if (this.args[this.i] !== ')') throw new FindError("unpaired '('");
      this.i++;
      return n;
    }
    const t = this.t;
    const fs = t.ctx.fs;
    const n = this.primaryInner(a, fs);
    this.i++;
    return n;
  }

  private primaryInner(a: string, fs: Tool['ctx']['fs']): Node {
    const t = this.t;
    switch (a) {
      case '-print':
        this.needPrint = false;
        return async (c) => {
          await t.out.text(c.path + '\n');
          return true;
        };
      case '-print0':
        this.needPrint = false;
        return async (c) => {
          await t.out.text(c.path + '\0');
          return true;
        };
      case '-true':
        return async () => true;
      case '-false':
        return async () => false;
      case '-name':
      case '-iname': {
        const pat = this.arg(a);
        const ci = a === '-iname';
        return async (c) => {
          let base = c.path.replace(/\/+$/, '');
          base = base === '' ? '/' : base.slice(base.lastIndexOf('/') + 1);
          return fnmatch(pat, base, { caseFold: ci });
        };
      }
      case '-path':
      case '-wholename':
      case '-ipath': {
        const pat = this.arg(a);
        return async (c) => fnmatch(pat, c.path, { caseFold: a === '-ipath' });
      }
      case '-regex':
      case '-iregex': {
        const pat = this.arg(a);
        let re: RegExp;
        try {
          re = new RegExp(`^(?:${regexSource(toBin(pat), false)})$`, a === '-iregex' ? 'i' : '');
        } catch (err) {
          if (err instanceof RegexError || err instanceof SyntaxError) throw new FindError(`bad regex '${pat}'`);
          throw err;
        }
        return async (c) => re.test(toBin(c.path));
      }
      case '-type': {
        const ty = this.arg(a);
        const map: Record<string, Stat['type']> = { f: 'file', d: 'dir', l: 'symlink', c: 'chardev', b: 'blockdev', p: 'fifo', s: 'socket' };
        const types = ty.split(',').map((x) => map[x]);
        if (types.some((x) => x === undefined)) throw new FindError(`invalid argument '${ty}' to '-type'`);
        return async (c) => types.includes(c.st.type);
      }
      case '-perm': {
        const spec = this.arg(a);
        const kind = spec[0] === '-' || spec[0] === '/' || spec[0] === '+' ? spec[0] : '';
        const mode = parseMode(kind ? spec.slice(1) : spec, 0);
        if (mode === undefined) throw new FindError(`invalid mode '${spec}'`);
        return async (c) => {
          if (kind === '/' || kind === '+') return (c.st.mode & mode) !== 0;
          if (kind === '-') return (c.st.mode & mode) === mode;
          return (c.st.mode & 0o7777) === mode;
        };
      }
      case '-mtime':
      case '-atime':
      case '-ctime':
      case '-mmin':
      case '-amin':
      case '-cmin': {
        const v = this.arg(a);
        const m = /^([+-]?)(\d+)$/.exec(v);
        if (!m) throw new FindError(`invalid number '${v}'`);
        const unit = a.endsWith('min') ? 60 : 86400;
        const n = Number(m[2]) * unit;
        const which = a[1];
        return async (c) => {
          const ms = which === 'a' ? c.st.atimeMs : which === 'c' ? c.st.ctimeMs : c.st.mtimeMs;
          const age = Math.floor(t.ctx.container.clock.now() / 1000) - Math.floor(ms / 1000);
          if (m[1] === '+') return age >= n + unit;
          if (m[1] === '-') return age < n;
          return age >= n && age < n + unit;
        };
      }
      case '-newer': {
        const ref = this.arg(a);
        let st: Stat;
        try {
          st = fs.stat(t.path(ref));
        } catch (err) {
          if (!isFsError(err)) throw err;
          throw new FindError(`can't stat '${ref}': ${err.message}`);
        }
        const when = Math.floor(st.mtimeMs / 1000);
        return async (c) => Math.floor(c.st.mtimeMs / 1000) > when;
      }
      case '-size': {
        const v = this.arg(a);
        const m = /^([+-]?)(\d+)([cwbkMG]?)$/.exec(v);
        if (!m) throw new FindError(`invalid number '${v}'`);
        const mult: Record<string, number> = { '': 512, c: 1, w: 2, b: 512, k: 1024, M: 1048576, G: 1073741824 };
        const size = Number(m[2]) * mult[m[3]];
        return async (c) => (m[1] === '+' ? c.st.size > size : m[1] === '-' ? c.st.size < size : c.st.size === size);
      }
      case '-empty':
        return async (c) => {
          if (c.st.type === 'file') return c.st.size === 0;
          if (c.st.type === 'dir') {
            try {
              return fs.readdir(t.path(c.path)).length === 0;
            } catch {
              return false;
            }
          }
          return false;
        };
      case '-links': {
        const v = this.arg(a);
        const m = /^([+-]?)(\d+)$/.exec(v);
        if (!m) throw new FindError(`invalid number '${v}'`);
        const n = Number(m[2]);
        return async (c) => (m[1] === '+' ? c.st.nlink > n : m[1] === '-' ? c.st.nlink < n : c.st.nlink === n);
      }
      case '-inum': {
        const n = Number(this.arg(a));
        return async (c) => c.st.ino === n;
      }
      case '-user':
      case '-group': {
        const v = this.arg(a);
        const names = new Names(fs);
        const id = /^\d+$/.test(v) ? Number(v) : a === '-user' ? names.userByName(v)?.uid : names.groupByName(v)?.gid;
        if (id === undefined) throw new FindError(`unknown ${a.slice(1)} ${v}`);
        return async (c) => (a === '-user' ? c.st.uid : c.st.gid) === id;
      }
      case '-uid':
      case '-gid': {
        const n = Number(this.arg(a));
        return async (c) => (a === '-uid' ? c.st.uid : c.st.gid) === n;
      }
      case '-nouser':
      case '-nogroup': {
        const names = new Names(fs);
        return async (c) => (a === '-nouser' ? names.user(c.st.uid) : names.group(c.st.gid)) === undefined;
      }
      case '-executable':
        return async (c) => {
          try {
            fs.access(t.path(c.path), 1);
            return true;
          } catch {
            return false;
          }
        };
      case '-maxdepth':
      case '-mindepth': {
        const v = this.arg(a);
        if (!/^\d+$/.test(v)) throw new FindError(`invalid number '${v}'`);
        if (a === '-maxdepth') this.maxDepth = Number(v);
        else this.minDepth = Number(v);
        return async () => true;
      }
      case '-depth':
      case '-d':
        this.depthFirst = true;
        return async () => true;
      case '-xdev':
      case '-mount':
        this.xdev = true;
        return async () => true;
      case '-follow':
        this.follow = true;
        return async () => true;
      case '-prune':
        return async (_c, f) => {
          f.prune = true;
          return true;
        };
      case '-quit':
        return async () => {
          throw new Exit(this.status);
        };
      case '-delete':
        this.needPrint = false;
        this.depthFirst = true;
        return async (c) => {
          try {
            if (c.st.type === 'dir') {
              if (c.path !== '.') fs.rmdir(t.path(c.path));
            } else fs.unlink(t.path(c.path));
          } catch (err) {
            if (!isFsError(err)) throw err;
            await t.perror(c.path, err);
            this.status = 1;
          }
          return true;
        };
      case '-exec':
      case '-ok': {
        this.needPrint = false;
        const cmd: string[] = [];
        for (;;) {
          const w = this.args[++this.i];
          if (w === undefined) throw new FindError(`${a} requires an argument`);
          if (w === ';') break;
          if (w === '+' && cmd[cmd.length - 1] === '{}') {
            const plus: ExecPlus = { argv: cmd, files: [] };
            if (cmd.filter((x) => x.includes('{}')).length > 1) throw new FindError("only one '{}' allowed for -exec +");
            this.plus.push(plus);
            return async (c) => {
              plus.files.push(c.path);
              if (plus.files.length >= 4096) await this.flushPlus(plus);
              return true;
            };
          }
          cmd.push(w);
        }
        if (cmd.length === 0) throw new FindError(`${a} requires an argument`);
        return async (c) => {
          const argv = cmd.map((w) => w.split('{}').join(c.path));
          return (await this.run(argv)) === 0;
        };
      }
      default:
        throw new FindError(`unrecognized: ${a}`);
    }
  }

  // spawn_and_wait: one that cannot start is perror(argv[0]), and false.
  async run(argv: string[]): Promise<number> {
    await this.t.out.flush();
    try {
      return await this.t.ctx.run(argv, { stdin: emptyIn });
    } catch (err) {
      if (!isFsError(err)) throw err;
      await this.t.perror(argv[0], err);
      return 127;
    }
  }

  async flushPlus(p: ExecPlus): Promise<void> {
    if (p.files.length === 0) return;
    const argv: string[] = [];
    for (const w of p.argv) {
      if (w === '{}') argv.push(...p.files);
      else argv.push(w);
    }
    p.files = [];
    if ((await this.run(argv)) !== 0) this.status = 1;
  }
}

class FindError extends Error {}

export const find = applet(async (t) => {
  let args = [...t.args];
  let followAll = false;
  let followArgs = false;
  while (args[0] === '-H' || args[0] === '-L' || args[0] === '-P') {
    if (args[0] === '-L') followAll = true;
    if (args[0] === '-H') followArgs = true;
    args = args.slice(1);
  }
  let k = 0;
  while (k < args.length && !(args[k].startsWith('-') && args[k].length > 1) && args[k] !== '!' && args[k] !== '(') k++;
  const starts = args.slice(0, k);
  const parser = new Parser(t, args.slice(k));
  let expr: Node;
  try {
    expr = parser.parse();
  } catch (err) {
    if (err instanceof FindError) return t.die(err.message);
    throw err;
  }
  if (parser.follow) followAll = true;
  const fs = t.ctx.fs;
  let status = 0;

  const visit = async (path: string, depth: number, rootDev: number, isArg: boolean): Promise<void> => {
    let st: Stat;
    try {
      st = followAll || (isArg && followArgs) ? fs.stat(t.path(path)) : fs.lstat(t.path(path));
    } catch (err) {
      if (!isFsError(err)) throw err;
      if (followAll && err.code === 'ENOENT') {
        try {
          st = fs.lstat(t.path(path));
        } catch {
          await t.perror(path, err);
          status = 1;
          return;
        }
      } else {
        await t.perror(path, err);
        status = 1;
        return;
      }
    }
    const sameFs = !parser.xdev || depth === 0 || st.dev === rootDev;
    const flags = { prune: false };
    const doIt = async () => {
      if (depth < parser.minDepth || depth > parser.maxDepth) return;
      if ((await expr({ path, st, depth }, flags)) && parser.needPrint) await t.out.text(path + '\n');
    };
    if (!parser.depthFirst) await doIt();
    if (st.type === 'dir' && depth < parser.maxDepth && sameFs && !(flags.prune && !parser.depthFirst)) {
      let names: string[] = [];
      try {
        names = fs.readdir(t.path(path));
      } catch (err) {
        if (!isFsError(err)) throw err;
        await t.perror(path, err);
        status = 1;
      }
      for (const n of names) {
        await visit(concatPath(path, n), depth + 1, depth === 0 ? st.dev : rootDev, false);
        await t.yield();
      }
    }
    if (parser.depthFirst) await doIt();
  };

  try {
    for (const s of starts.length ? starts : ['.']) await visit(s, 0, -1, true);
    for (const p of parser.plus) await parser.flushPlus(p);
  } catch (err) {
    if (err instanceof Exit) {
      for (const p of parser.plus) await parser.flushPlus(p);
      return status || parser.status;
    }
    throw err;
  }
  return status || parser.status;
});
