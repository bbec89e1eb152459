import { type Stat, isFsError } from '../rootfs/types';
import { concatPath } from './common/concat-path';
import { Exit, MAX_SLURP, type Tool, applet } from './common/tool';

// diff as busybox's diff.c (OpenBSD's, after Harold Stone's algorithm):
// lines hashed (-b, -w, -i change what is hashed), common prefix and suffix
// cut off, the longest common subsequence found by stone(), matches
// checked byte by byte, then unified hunks with -U lines of context. Files
// are read whole (busybox seeks in them; a pipe it copies to a temporary
// file first). Directories are walked as diffdir() walks them.

const TOK_EMPTY = 1 << 9;
const TOK_EOF = 1 << 10;
const TOK_EOL = 1 << 11;
const TOK_SPACE = 1 << 12;
const CHAR_MASK = 0x1ff;

const STATUS_SAME = 0;
const STATUS_DIFFER = 1;
const STATUS_BINARY = 2;

interface Opts {
  a: boolean;
  b: boolean;
  d: boolean;
  i: boolean;
  N: boolean;
  q: boolean;
  r: boolean;
  s: boolean;
  t: boolean;
  T: boolean;
  w: boolean;
  B: boolean;
  context: number;
  label: (string | undefined)[];
}

// A file and where reading is: FILE_and_pos_t over the bytes.
class Ft {
  pos = 0;
  constructor(readonly data: Buffer) {}
  getc(): number {
    return this.pos < this.data.length ? this.data[this.pos++] : -1;
  }
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

// read_token: the next character of a line as -b, -w and -i see it, or
// TOK_EMPTY once the line (or the file) has ended.
function readToken(o: Opts, ft: Ft, tok: number): number {
  tok |= TOK_EMPTY;
  while (!(tok & TOK_EOL)) {
    let t = ft.getc();
    const space = t === -1 || isSpace(t);
    if (t === -1) tok |= TOK_EOF | TOK_EOL;
    if (t === 10) tok |= TOK_EOL;
    if (o.i && t >= 65 && t <= 90) t += 32;
    if (o.w && space) continue;
    t &= CHAR_MASK;
    if (o.b) {
      if (tok & TOK_SPACE) {
        if (space) continue;
        tok &= ~TOK_SPACE;
      } else if (space) t = TOK_SPACE + 32;
    }
    tok &= ~(TOK_EMPTY + CHAR_MASK);
    tok |= t;
    break;
  }
  return tok;
}

// Lets the rest of fakecri run between steps of a long comparison.
type Tick = () => Promise<void>;

interface Cand {
  x: number;
  y: number;
  pred: number;
}

function search(c: number[], k: number, y: number, list: Cand[]): number {
  if (list[c[k]].y < y) return k + 1;
  for (let i = 0, j = k + 1; ; ) {
    const l = (i + j) >> 1;
    if (l > i) {
      const t = list[c[l]].y;
      if (t > y) j = l;
      else if (t < y) i = l;
      else return l;
    } else return l + 1;
  }
}

async function stone(o: Opts, a: number[], n: number, b: number[], J: number[], pref: number, tick: Tick): Promise<void> {
  const bound = o.d ? Infinity : Math.max(256, Math.floor(Math.sqrt(n)));
  const clist: Cand[] = [{ x: 0, y: 0, pred: 0 }];
  const klist: number[] = new Array(n + 2).fill(0);
  let k = 0;
  for (let x = 1; x <= n; x++) {
    if ((x & 1023) === 0) await tick();
    let j = a[x];
    let oldl = 0;
    let numtries = 0;
    if (j === 0) continue;
    const cand: Cand = { x, y: -b[j], pred: klist[0] };
    do {
      if (cand.y <= clist[cand.pred].y) continue;
      const l = search(klist, k, cand.y, clist);
      if (l !== oldl + 1) cand.pred = klist[l - 1];
      if (l <= k && clist[klist[l]].y <= cand.y) continue;
      clist.push({ ...cand });
      const tc = klist[l];
      klist[l] = clist.length - 1;
      if (l <= k) {
        cand.pred = tc;
        oldl = l;
        numtries++;
      } else {
        k++;
        break;
      }
    } while ((cand.y = b[++j]) > 0 && numtries < bound);
  }
  for (let q = clist[klist[k]]; q.y; q = clist[q.pred]) J[q.x + pref] = q.y + pref;
}

interface Line {
  serial: number;
  value: number;
}

// create_J: the match vector, J[i] the line of the new file that line i of
// the old one is (0: none); nlen and ix (line offsets) for each file.
async function createJ(o: Opts, ft: Ft[], tick: Tick): Promise<{ J: number[]; nlen: number[]; ix: number[][] }> {
  const nlen = [0, 0];
  const ix: number[][] = [[], []];
  const nfile: Line[][] = [[], []];
  for (let i = 0; i < 2; i++) {
    const f = ft[i];
    f.pos = 0;
    const offsets = [0];
    const lines: Line[] = [{ serial: 0, value: 0 }];
    let hash = 0;
    let tok = 0;
    for (;;) {
      tok = readToken(o, f, tok);
      if (!(tok & TOK_EMPTY)) {
        // Sedgewick's hash: hash * 127 + c, in 32 bits.
        hash = (Math.imul(hash, 127) + (tok & CHAR_MASK)) >>> 0;
        continue;
      }
      lines.push({ serial: 0, value: hash & 0x7fffffff });
      offsets.push(f.pos + (tok & TOK_EOF ? 1 : 0));
      if (tok & TOK_EOF) break;
      if ((lines.length & 1023) === 0) await tick();
      hash = tok = 0;
    }
    let n = lines.length - 1;
    // A lone EOF "line" at the end is not one.
    if (offsets[n] - offsets[n - 1] === 1) n--;
    nlen[i] = n;
    ix[i] = offsets.slice(0, n + 1);
    nfile[i] = lines;
  }
  let pref = 0;
  let suff = 0;
  while (pref < nlen[0] && pref < nlen[1] && nfile[0][pref + 1].value === nfile[1][pref + 1].value) pref++;
  while (suff < nlen[0] - pref && suff < nlen[1] - pref && nfile[0][nlen[0] - suff].value === nfile[1][nlen[1] - suff].value) suff++;
  // The middles, each sorted on (value, serial).
  const sfile: Line[][] = [[], []];
  const slen = [0, 0];
  for (let j = 0; j < 2; j++) {
    slen[j] = nlen[j] - pref - suff;
    const s: Line[] = [{ serial: 0, value: 0 }];
    for (let i = 1; i <= slen[j]; i++) s.push({ serial: i, value: nfile[j][pref + i].value });
    const sorted = s.slice(1).sort((x, y) => x.value - y.value || x.serial - y.serial);
    sfile[j] = [s[0], ...sorted, { serial: 0, value: 0 }];
  }
  // equiv: each old line's value becomes the first of its class among the
  // new lines (0: none); member lists the classes, each first negated.
  const a = sfile[0];
  const b = sfile[1];
  const n = slen[0];
  const m = slen[1];
  let i = 1;
  let j = 1;
  while (i <= n && j <= m) {
    if (a[i].value < b[j].value) a[i++].value = 0;
    else if (a[i].value === b[j].value) a[i++].value = j;
    else j++;
  }
  while (i <= n) a[i++].value = 0;
  b[m + 1].value = 0;
  const member: number[] = new Array(m + 2).fill(0);
  j = 0;
  while (++j <= m) {
    member[j] = -b[j].serial;
    while (b[j + 1].value === b[j].value) {
      j++;
      member[j] = b[j].serial;
    }
  }
  member[j] = -1;
  // unsort: the classes back in the old file's order.
  const klass: number[] = new Array(n + 2).fill(0);
  for (i = 1; i <= n; i++) klass[a[i].serial] = a[i].value;
  const J: number[] = [];
  const delta = nlen[1] - nlen[0];
  for (i = 0; i <= nlen[0]; i++) J[i] = i <= pref ? i : i > nlen[0] - suff ? i + delta : 0;
  await stone(o, klass, n, member, J, pref, tick);
  J[nlen[0] + 1] = nlen[1] + 1;
  // Matches the hash made that the bytes do not bear out are broken.
  for (i = 1; i <= nlen[0]; i++) {
    if ((i & 1023) === 0) await tick();
    if (!J[i]) continue;
    ft[0].pos = ix[0][i - 1];
    ft[1].pos = ix[1][J[i] - 1];
    for (j = J[i]; i <= nlen[0] && J[i] === j; i++, j++) {
      let tok0 = 0;
      let tok1 = 0;
      do {
        tok0 = readToken(o, ft[0], tok0);
        tok1 = readToken(o, ft[1], tok1);
        if ((tok0 ^ tok1) & TOK_EMPTY || (!(tok0 & TOK_EMPTY) && (tok0 & CHAR_MASK) !== (tok1 & CHAR_MASK))) J[i] = 0;
      } while (!(tok0 & tok1 & TOK_EMPTY));
    }
  }
  return { J, nlen, ix };
}

// fetch: lines a..b of a file, each after its mark.
function fetch(o: Opts, ft: Ft, ix: number[], a: number, b: number, ch: string, out: string[]): void {
  for (let i = a; i <= b; i++) {
    ft.pos = ix[i - 1];
    let line = ch + (o.T ? '\t' : '');
    let col = 0;
    for (let j = 0; j < ix[i] - ix[i - 1]; j++) {
      const c = ft.getc();
      if (c === -1) {
        out.push(line, '\n\\ No newline at end of file\n');
        return;
      }
      if (c === 9 && o.t) {
        do line += ' ';
        while (++col & 7);
      } else {
        line += String.fromCharCode(c);
        col++;
      }
    }
    out.push(line);
  }
}

type Vec = [{ a: number; b: number }, { a: number; b: number }];

// diff(): the hunks, printed unless -q; whether there was any change.
async function hunks(o: Opts, ft: Ft[], file: string[], out: string[], tick: Tick): Promise<boolean> {
  const { J, nlen, ix } = await createJ(o, ft, tick);
  let i = 1;
  let anychange = false;
  do {
    let nonempty = false;
    const vec: Vec[] = [];
    for (;;) {
      const v: Vec = [
        { a: i, b: 0 },
        { a: 0, b: 0 },
      ];
      while (v[0].a <= nlen[0] && J[v[0].a] === J[v[0].a - 1] + 1) v[0].a++;
      v[1].a = J[v[0].a - 1] + 1;
      for (v[0].b = v[0].a - 1; v[0].b < nlen[0] && !J[v[0].b + 1]; v[0].b++);
      v[1].b = J[v[0].b + 1] - 1;
      if (v[0].a <= v[0].b || v[1].a <= v[1].b) {
        // A change more than the context away from the last starts a hunk.
        const ct = 2 * o.context + 1;
        const last = vec[vec.length - 1];
        if (last && v[0].a > last[0].b + ct && v[1].a > last[1].b + ct) break;
        for (let j = 0; j < 2; j++) for (let k = v[j].a; k <= v[j].b; k++) nonempty ||= ix[j][k] - ix[j][k - 1] !== 1;
        vec.push(v);
      }
      i = v[0].b + 1;
      if (i > nlen[0]) break;
      J[v[0].b] = v[1].b;
    }
    if (vec.length && !(o.B && !nonempty)) {
      if (!o.q) {
        if (!anychange) out.push(`--- ${o.label[0] ?? file[0]}\n+++ ${o.label[1] ?? file[1]}\n`);
        let head = '@@';
        const span = [
          { a: 0, b: 0 },
          { a: 0, b: 0 },
        ];
        for (let j = 0; j < 2; j++) {
          const a = (span[j].a = Math.max(1, vec[0][j].a - o.context));
          const b = (span[j].b = Math.min(nlen[j], vec[vec.length - 1][j].b + o.context));
          head += ` ${j ? '+' : '-'}${Math.min(a, b)}`;
          if (a !== b) head += `,${a < b ? b - a + 1 : 0}`;
        }
        out.push(`${head} @@\n`);
        for (let c = 0, lowa = span[0].a; ; lowa = vec[c++][0].b + 1) {
          const end = c >= vec.length;
          fetch(o, ft[0], ix[0], lowa, end ? span[0].b : vec[c][0].a - 1, ' ', out);
          if (end) break;
          for (let j = 0; j < 2; j++) fetch(o, ft[j], ix[j], vec[c][j].a, vec[c][j].b, j ? '+' : '-', out);
        }
      }
      anychange = true;
    }
    await tick();
  } while (i <= nlen[0]);
  return anychange;
}

class Diff {
  status = 0;
  readonly out: string[] = [];

  constructor(
    private readonly t: Tool,
    readonly o: Opts,
  ) {}

  // What the applet prints, as it goes.
  async flush(): Promise<void> {
    if (this.out.length) await this.t.out.bin(this.out.splice(0).join(''));
  }

  // diffreg: the two files compared; STATUS_*.
  async reg(file: string[]): Promise<number> {
    const t = this.t;
    const data: Buffer[] = [];
    for (let i = 0; i < 2; i++) {
      if (file[i] === '-') {
        data.push(await this.read(t.input('-')));
        continue;
      }
      try {
        data.push(await this.read(t.input(file[i])));
      } catch (err) {
        if (!isFsError(err)) throw err;
        if (!this.o.N) {
          await this.flush();
          await t.error(`can't open '${file[i]}': ${err.message}`);
          return STATUS_SAME;
        }
        // -N: an absent file is /dev/null.
        data.push(Buffer.alloc(0));
      }
    }
    // Read side by side to the shorter one's end: a NUL there is binary.
    const n = Math.min(data[0].length, data[1].length);
    const differ = !data[0].equals(data[1]);
    const binary = data[0].subarray(0, n).includes(0) || data[1].subarray(0, n).includes(0);
    let status = STATUS_SAME;
    if (differ) {
      if (binary && !this.o.a) status = STATUS_BINARY;
      else if (await hunks(this.o, [new Ft(data[0]), new Ft(data[1])], file, this.out, () => this.t.yield())) status = STATUS_DIFFER;
    }
    if (status !== STATUS_SAME) this.status |= 1;
    await this.flush();
    return status;
  }

  private async read(input: ReturnType<Tool['input']>): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    try {
      for (let b = await input.bytes(); b !== null; b = await input.bytes()) {
        parts.push(b);
        size += b.length;
        if (size > MAX_SLURP) return this.t.die('out of memory');
      }
    } catch (err) {
      // A read that fails is the end (fread).
      if (!isFsError(err)) throw err;
    } finally {
      input.close();
    }
    return Buffer.concat(parts);
  }

  async printStatus(status: number, path: string[]): Promise<void> {
    if (status === STATUS_BINARY || (status === STATUS_DIFFER && this.o.q)) this.out.push(`Files ${path[0]} and ${path[1]} differ\n`);
    else if (status === STATUS_SAME && this.o.s) this.out.push(`Files ${path[0]} and ${path[1]} are identical\n`);
    await this.flush();
  }

  // diffdir: both trees listed (files; directories too without -r), sorted,
  // and walked side by side.
  async dir(p: string[], start: string | undefined): Promise<void> {
    const lists = [0, 1].map((i) => {
      const l = this.list(p[i], p[1 - i]).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      let s = 0;
      if (start !== undefined) while (s < l.length && l[s] < start) s++;
      return { l, s };
    });
    const fs = this.t.ctx.fs;
    const st = (name: string): Stat | undefined => {
      try {
        return fs.stat(this.t.path(name));
      } catch {
        return undefined;
      }
    };
    for (;;) {
      const dp = lists.map((x) => (x.s < x.l.length ? x.l[x.s] : undefined));
      if (dp[0] === undefined && dp[1] === undefined) break;
      const pos = dp[0] === undefined ? 1 : dp[1] === undefined ? -1 : dp[0] < dp[1] ? -1 : dp[0] > dp[1] ? 1 : 0;
      const k = pos > 0 ? 1 : 0;
      if (pos && !this.o.N) {
        this.out.push(`Only in ${p[k]}: ${dp[k]}\n`);
        this.status |= 1;
      } else {
        const full: string[] = [];
        const path: string[] = [];
        const sb: (Stat | undefined)[] = [];
        for (let i = 0; i < 2; i++) {
          if (pos === 0 || i === k) {
            path[i] = full[i] = concatPath(p[i], dp[i]!);
            sb[i] = st(full[i]);
          } else {
            full[i] = concatPath(p[i], dp[1 - i]!);
            path[i] = '/dev/null';
          }
        }
        if (pos) sb[1 - k] = sb[k];
        const isDir = (s: Stat | undefined) => s?.type === 'dir';
        const isReg = (s: Stat | undefined) => s?.type === 'file';
        if (isDir(sb[0]) && isDir(sb[1])) this.out.push(`Common subdirectories: ${full[0]} and ${full[1]}\n`);
        else if (!isReg(sb[0]) && !isDir(sb[0])) this.out.push(`File ${full[0]} is not a regular file or directory and was skipped\n`);
        else if (!isReg(sb[1]) && !isDir(sb[1])) this.out.push(`File ${full[1]} is not a regular file or directory and was skipped\n`);
        else if (isDir(sb[0]) !== isDir(sb[1])) {
          const [x, y] = isDir(sb[0]) ? ['directory', 'regular file'] : ['regular file', 'directory'];
          this.out.push(`File ${full[0]} is a ${x} while file ${full[1]} is a ${y}\n`);
        } else {
          await this.flush();
          await this.printStatus(await this.reg(path), full);
        }
      }
      lists[k].s++;
      if (pos === 0) lists[1 - k].s++;
    }
    await this.flush();
  }

  // recursive_action with add_to_dirlist and skip_dir: names under root,
  // symlinks followed; without -r a subdirectory is a name, not walked;
  // with -r (and no -N) one the other side lacks is not walked either.
  private list(root: string, other: string): string[] {
    const fs = this.t.ctx.fs;
    const out: string[] = [];
    // A stat that fails is no directory.
    const statOrNone = (path: string): Stat | undefined => {
      try {
        return fs.stat(this.t.path(path));
      } catch {
        return undefined;
      }
    };
    const walk = (rel: string, depth: number) => {
      const full = rel ? concatPath(root, rel) : root;
      let names: string[];
      try {
        names = fs.readdir(this.t.path(full));
      } catch {
        return;
      }
      for (const name of names) {
        const r = rel ? `${rel}/${name}` : name;
        const s = statOrNone(concatPath(root, r));
        if (s?.type !== 'dir') {
          out.push(r);
          continue;
        }
        if (!this.o.r) {
          out.push(r);
          continue;
        }
        if (!this.o.N) {
          const os = statOrNone(concatPath(other, r));
          if (os?.type !== 'dir') {
            this.status |= 1;
            continue;
          }
        }
        walk(r, depth + 1);
      }
    };
    walk('', 0);
    return out;
  }
}

export const diff = applet(async (t) => {
  const p = t.parse({
    short: 'abdiL:NqrsS:tTU:wupBE',
    long: {
      'ignore-case': 'i',
      'ignore-tab-expansion': 'E',
      'ignore-space-change': 'b',
      'ignore-all-space': 'w',
      'ignore-blank-lines': 'B',
      text: 'a',
      unified: 'U:',
      label: 'L:',
      'show-c-function': 'p',
      brief: 'q',
      'expand-tabs': 't',
      'initial-tab': 'T',
      recursive: 'r',
      'new-file': 'N',
      'report-identical-files': 's',
      'starting-file': 'S:',
      minimal: 'd',
    },
  });
  if (p.operands.length !== 2) return t.usage();
  let context = 3;
  if (p.has('U')) {
    const u = p.value('U')!;
    if (!/^\d+$/.test(u) || Number(u) > 2 ** 31 - 1) return t.die(`invalid number '${u}'`);
    context = Number(u);
  }
  // -L: the first is the old file's label, the last of the others the new one's.
  const labels = p.values('L');
  const o: Opts = {
    a: p.has('a'),
    b: p.has('b'),
    d: p.has('d'),
    i: p.has('i'),
    N: p.has('N'),
    q: p.has('q'),
    r: p.has('r'),
    s: p.has('s'),
    t: p.has('t'),
    T: p.has('T'),
    w: p.has('w'),
    B: p.has('B'),
    context,
    label: [labels[0], labels.length > 1 ? labels[labels.length - 1] : undefined],
  };
  const d = new Diff(t, o);
  const fs = t.ctx.fs;
  const file = [...p.operands];
  const sb: (Stat | undefined)[] = [];
  let gotStdin = 0;
  // Compat: a FILE that is not there is status 2.
  for (let i = 0; i < 2; i++) {
    if (file[i] === '-') {
      gotStdin++;
      sb[i] = undefined;
      continue;
    }
    try {
      sb[i] = t.stat(file[i]);
    } catch (err) {
      if (!isFsError(err)) throw err;
      if (o.N) sb[i] = fs.stat('/dev/null');
      else {
        await t.error(`can't stat '${file[i]}': ${err.message}`);
        throw new Exit(2);
      }
    }
  }
  const isDir = (s: Stat | undefined) => s?.type === 'dir';
  if (gotStdin && (isDir(sb[0]) || isDir(sb[1]))) return t.die("can't compare stdin to a directory");
  const [x, y] = sb;
  if (x && y && x.ino === y.ino && x.dev === y.dev && x.size === y.size && Math.floor(x.mtimeMs / 1000) === Math.floor(y.mtimeMs / 1000) && Math.floor(x.ctimeMs / 1000) === Math.floor(y.ctimeMs / 1000) && x.mode === y.mode && x.type === y.type && x.nlink === y.nlink && x.uid === y.uid && x.gid === y.gid) {
    // The same file: nothing to compare.
    return STATUS_SAME;
  }
  if (isDir(sb[0]) && isDir(sb[1])) await d.dir(file, p.value('S'));
  else {
    // A directory and a file: the file's name in the directory.
    if (isDir(sb[0]) || isDir(sb[1])) {
      const dir = isDir(sb[1]) ? 1 : 0;
      const other = file[1 - dir];
      file[dir] = concatPath(file[dir], other.slice(other.lastIndexOf('/') + 1));
      try {
        fs.stat(t.path(file[dir]));
      } catch (err) {
        if (!isFsError(err)) throw err;
        return t.die(`can't stat '${file[dir]}': ${err.message}`);
      }
    }
    await d.printStatus(gotStdin > 1 ? STATUS_SAME : await d.reg(file), file);
  }
  return d.status;
});
