import { posix } from 'node:path';
import { DEFAULT_PATH, findInPath, resolvePath } from '../rootfs/path';
import { isFsError } from '../rootfs/types';
import { ArithError, arith } from './arith';
import { parseCached } from './cache';
import { ExpandFailure, getVar, setVarSync } from './expand';
import { runApplet, runExternal } from './external';
import { isName } from './lexer';
import { readBuiltin } from './read';
import { EXIT, ExitSignal, type Job, LIMITS, LoopSignal, ReturnSignal, type Shell, ShellError } from './shell';
import { NSIG, signalNumber, SIGNAL_NAMES } from './signals';
import { EXPORT, READONLY } from './vars';
import { singleQuote } from './xtrace';

// The commands busybox ash runs itself. Special builtins (POSIX's): their
// errors end a non-interactive shell and their prefix assignments stay.

export type BuiltinKind = 'special' | 'regular' | 'applet';
type Builtin = (sh: Shell, argv: string[]) => Promise<number>;

const SPECIAL = new Set(['.', ':', 'break', 'continue', 'eval', 'exec', 'exit', 'export', 'local', 'readonly', 'return', 'set', 'shift', 'source', 'times', 'trap', 'unset']);
// Applets ash has as builtins: the applet serves both.
const APPLETS = new Set(['echo', 'printf', 'test', '[', 'kill']);
export const KEYWORD_NAMES = new Set(['!', 'case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'if', 'in', 'then', 'until', 'while', '{', '}']);
// Builtins whose NAME=value arguments are expanded as assignments.
export const ASSIGN_BUILTINS = new Set(['export', 'readonly', 'local', 'alias']);

// ash looks functions up first, even over special builtins (`:(){ ...; }`).
export function builtinKind(name: string, sh: Shell, noFunctions = false): BuiltinKind | 'function' | 'external' {
  if (!noFunctions && sh.funcs.has(name)) return 'function';
  if (SPECIAL.has(name)) return 'special';
  if (APPLETS.has(name)) return 'applet';
  if (Object.prototype.hasOwnProperty.call(REGULAR, name)) return 'regular';
  return 'external';
}

// Runs a builtin with ash's commandname set for its messages. An error in
// a regular builtin gives status 2 and the shell goes on.
export async function runBuiltin(sh: Shell, kind: BuiltinKind, argv: string[]): Promise<number> {
  if (kind === 'applet') {
    if (argv[0] === 'kill') argv = await killArgs(sh, argv);
    return runApplet(sh, argv);
  }
  const fn = kind === 'special' ? SPECIALS[argv[0]] : REGULAR[argv[0]];
  const saved = sh.cmdName;
  sh.cmdName = argv[0];
  try {
    return await fn(sh, argv);
  } catch (err) {
    if (err instanceof ShellError && kind === 'regular') return err.status;
    throw err;
  } finally {
    sh.cmdName = saved;
  }
}

const out = (sh: Shell, text: string) => sh.out(1).write(text);

// ash's number(): a non-negative decimal, or "Illegal number".
async function number(sh: Shell, s: string): Promise<number> {
  if (!/^[0-9]+$/.test(s) || s.length > 18) await sh.fail(`Illegal number: ${s}`);
  return Number(s);
}

async function setChecked(sh: Shell, name: string, value: string | undefined, flags: number): Promise<void> {
  if (!isName(name)) await sh.fail(`${name}: bad variable name`);
  if (value !== undefined && sh.vars.isReadonly(name)) await sh.fail(`${name}: is read only`);
  if (value !== undefined && value.length > LIMITS.bytes) await sh.fail('out of memory');
  if (value === undefined) sh.vars.setFlags(name, flags);
  else sh.vars.set(name, value, flags | (sh.opts.a ? EXPORT : 0));
}

const SPECIALS: Record<string, Builtin> = {
  ':': async () => 0,
  '.': dot,
  source: dot,
  break: (sh, argv) => loopCtl(sh, argv, 'break'),
  continue: (sh, argv) => loopCtl(sh, argv, 'continue'),
  eval: async (sh, argv) => {
    if (argv.length < 2) return 0;
    return nested(sh, () => sh.evalString(argv.slice(1).join(' ')));
  },
  exec: async (sh, argv) => {
    if (argv.length < 2) return 0;
    const status = await runExternal(sh, argv.slice(1), undefined, true);
    throw new ExitSignal(status, true);
  },
  exit: async (sh, argv) => {
    let status = sh.inTrap > 0 && sh.trapStatus >= 0 ? sh.trapStatus : sh.status;
    if (argv.length > 1) status = (await number(sh, argv[1])) & 255;
    throw new ExitSignal(status);
  },
  export: (sh, argv) => exportCmd(sh, argv, EXPORT),
  readonly: (sh, argv) => exportCmd(sh, argv, READONLY),
  local: async (sh, argv) => {
    const frame = sh.locals[sh.locals.length - 1];
    if (!frame) await sh.fail('not in a function');
    for (const a of argv.slice(1)) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a : a.slice(0, eq);
      if (!isName(name)) await sh.fail(`${name}: bad variable name`);
      sh.vars.save(frame, name);
      if (eq >= 0) await setChecked(sh, name, a.slice(eq + 1), 0);
    }
    return 0;
  },
  return: async (sh, argv) => {
    throw new ReturnSignal(argv.length > 1 ? (await number(sh, argv[1])) & 255 : sh.status);
  },
  set: setCmd,
  shift: async (sh, argv) => {
    const n = argv.length > 1 ? await number(sh, argv[1]) : 1;
    if (n > sh.params.length) await sh.fail("can't shift that many");
    sh.params = sh.params.slice(n);
    return 0;
  },
  times: async (sh) => {
    await out(sh, '0m0.000s 0m0.000s\n0m0.000s 0m0.000s\n');
    return 0;
  },
  trap: trapCmd,
  unset: async (sh, argv) => {
    let flag = '';
    let i = 1;
    for (; i < argv.length && /^-[fv]+$/.test(argv[i]); i++) flag = argv[i].slice(-1);
    for (; i < argv.length; i++) {
      const name = argv[i];
      if (flag !== 'f') {
        if (sh.vars.isReadonly(name)) await sh.fail(`${name}: is read only`);
        sh.vars.unset(name);
      }
      if (flag !== 'v') sh.funcs.delete(name);
    }
    return 0;
  },
};

async function nested<T>(sh: Shell, fn: () => Promise<T>): Promise<T> {
  if (sh.depth >= LIMITS.depth) await sh.fail('nesting level too deep');
  sh.depth++;
  try {
    return await fn();
  } finally {
    sh.depth--;
  }
}

async function loopCtl(sh: Shell, argv: string[], kind: 'break' | 'continue'): Promise<number> {
  let n = 1;
  if (argv.length > 1) {
    n = await number(sh, argv[1]);
    if (n <= 0) await sh.fail(`Illegal number: ${argv[1]}`);
  }
  if (n > sh.loopDepth) n = sh.loopDepth;
  if (n > 0) throw new LoopSignal(kind, n);
  return 0;
}

async function dot(sh: Shell, argv: string[]): Promise<number> {
  if (argv.length < 2) return 0;
  const name = argv[1];
  const path = name.includes('/') ? resolvePath(sh.cwd, name) : findReadable(sh, name);
  if (path === undefined) await sh.fail(`${name}: not found`);
  let text: string;
  try {
    text = readText(sh, path!);
  } catch (err) {
    if (!isFsError(err)) throw err;
    await sh.fail(`can't open '${name}': ${err.message}`, 127);
  }
  const script = parseCached(text!);
  const savedParams = sh.params;
  if (argv.length > 2) sh.params = argv.slice(2);
  try {
    return await nested(sh, async () => {
      let status = 0;
      for (const line of script.lines) if (line.node) status = await sh.evaluator.evalNode(sh, line.node, 0);
      if (script.error) {
        sh.lineno = script.error.line;
        await sh.fail(script.error.message);
      }
      return status;
    });
  } catch (err) {
    if (err instanceof ReturnSignal) return err.status;
    throw err;
  } finally {
    if (argv.length > 2) sh.params = savedParams;
  }
}

function findReadable(sh: Shell, name: string): string | undefined {
  for (const dir of (sh.vars.get('PATH') ?? DEFAULT_PATH).split(':')) {
    const p = resolvePath(sh.cwd, posix.join(dir || '.', name));
    try {
      if (sh.ctx.fs.stat(p).type === 'file') return p;
    } catch {
      // next
    }
  }
  return undefined;
}

export function readText(sh: Shell, path: string): string {
  const h = sh.ctx.fs.open(path, { read: true });
  try {
    const parts: Buffer[] = [];
    let n = 0;
    for (let c = h.read(64 * 1024); c !== null; c = h.read(64 * 1024)) {
      const b = c instanceof Uint8Array ? Buffer.from(c.buffer, c.byteOffset, c.byteLength) : Buffer.alloc(c.length);
      n += b.byteLength;
      if (n > LIMITS.bytes) throw new ShellError(2);
      parts.push(b);
    }
    return Buffer.concat(parts).toString('utf8');
  } finally {
    h.close();
  }
}

async function exportCmd(sh: Shell, argv: string[], flag: number): Promise<number> {
  const args = argv.slice(1).filter((a) => a !== '-p' && a !== '--');
  if (args.length === 0) {
    const word = flag === EXPORT ? 'export' : 'readonly';
    let text = '';
    for (const [k, v] of sh.vars.entries()) {
      if (!(v.flags & flag)) continue;
      text += v.value === undefined ? `${word} ${k}\n` : `${word} ${k}=${singleQuote(v.value)}\n`;
    }
    await out(sh, text);
    return 0;
  }
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq < 0) await setChecked(sh, a, undefined, flag);
    else await setChecked(sh, a.slice(0, eq), a.slice(eq + 1), flag);
  }
  return 0;
}

const LONG_OPTIONS: [string, keyof Shell['opts']][] = [
  ['allexport', 'a'],
  ['errexit', 'e'],
  ['noglob', 'f'],
  ['monitor', 'm'],
  ['noexec', 'n'],
  ['nounset', 'u'],
  ['verbose', 'v'],
  ['xtrace', 'x'],
  ['noclobber', 'C'],
  ['pipefail', 'pipefail'],
];
const SHORT = 'aefmnuvxC';

// Sets options from arguments like -eu, +x, -o pipefail; answers the
// index of the first argument that is not an option, and whether `--`
// or `-` ended the options.
export async function parseOptions(sh: Shell, args: string[], start: number, allowStartup: boolean): Promise<{ next: number; ended: boolean; c?: boolean; s?: boolean; i?: boolean }> {
  const r: { next: number; ended: boolean; c?: boolean; s?: boolean; i?: boolean } = { next: start, ended: false };
  let i = start;
  while (i < args.length) {
    const a = args[i];
    if (a[0] !== '-' && a[0] !== '+') break;
    i++;
    const on = a[0] === '-';
    if (a === '-' || a === '--') {
      if (a === '-') {
        sh.opts.x = false;
        sh.opts.v = false;
      }
      r.ended = true;
      break;
    }
    if (a === '+') break;
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if (allowStartup && (c === 'c' || c === 's' || c === 'i' || c === 'l')) {
        if (c === 'c') r.c = true;
        if (c === 's') r.s = true;
        if (c === 'i') r.i = on;
        continue;
      }
      if (c === 'o') {
        const name = args[i];
        if (name === undefined) {
          await listOptions(sh, on);
          continue;
        }
        i++;
        const opt = LONG_OPTIONS.find(([n]) => n === name);
        if (!opt) {
          if (['ignoreeof', 'vi', 'emacs', 'notify', 'nolog', 'debug'].includes(name)) continue;
          await sh.fail(`illegal option ${on ? '-' : '+'}o ${name}`);
        }
        (sh.opts as unknown as Record<string, boolean>)[opt![1]] = on;
        continue;
      }
      if (!SHORT.includes(c)) await sh.fail(`illegal option ${on ? '-' : '+'}${c}`);
      (sh.opts as unknown as Record<string, boolean>)[c] = on;
    }
  }
  r.next = i;
  return r;
}

async function listOptions(sh: Shell, on: boolean): Promise<void> {
  let text = '';
  for (const [name, key] of LONG_OPTIONS) {
    const v = sh.opts[key];
    text += on ? `${name.padEnd(16)}${v ? 'on' : 'off'}\n` : `set ${v ? '-' : '+'}o ${name}\n`;
  }
  await out(sh, text);
}

async function setCmd(sh: Shell, argv: string[]): Promise<number> {
  if (argv.length === 1) {
    let text = '';
    for (const [k, v] of sh.vars.entries()) if (v.value !== undefined) text += `${k}=${singleQuote(v.value)}\n`;
    await out(sh, text);
    return 0;
  }
  const r = await parseOptions(sh, argv, 1, false);
  if (r.next < argv.length || r.ended) sh.params = argv.slice(r.next);
  return 0;
}

async function trapCmd(sh: Shell, argv: string[]): Promise<number> {
  let args = argv.slice(1);
  if (args[0] === '--') args = args.slice(1);
  if (args.length === 0) {
    let text = '';
    for (let n = 0; n < NSIG; n++) {
      const t = sh.traps[n];
      if (t !== undefined) text += `trap -- ${singleQuote(t)} ${SIGNAL_NAMES[n]}\n`;
    }
    await out(sh, text);
    return 0;
  }
  let action: string | undefined;
  let sigs = args;
  if (args.length > 1 && !/^[0-9]+$/.test(args[0])) {
    action = args[0] === '-' ? undefined : args[0];
    sigs = args.slice(1);
  }
  let status = 0;
  for (const s of sigs) {
    const n = signalNumber(s);
    if (n < 0) {
      await sh.msg(`${s}: invalid signal specification`);
      status = 1;
      continue;
    }
    sh.setTrap(n, action);
  }
  return status;
}

const REGULAR: Record<string, Builtin> = {
  true: async () => 0,
  false: async () => 1,
  alias: async (sh, argv) => {
    const aliases = sh.root.aliases;
    if (argv.length === 1) {
      let text = '';
      for (const [k, v] of [...aliases].sort()) text += `${k}=${singleQuote(v)}\n`;
      await out(sh, text);
      return 0;
    }
    let status = 0;
    for (const a of argv.slice(1)) {
      const eq = a.indexOf('=');
      if (eq > 0) aliases.set(a.slice(0, eq), a.slice(eq + 1));
      else if (aliases.has(a)) await out(sh, `${a}=${singleQuote(aliases.get(a)!)}\n`);
      else {
        await sh.writeErr(`alias: ${a} not found\n`);
        status = 1;
      }
    }
    return status;
  },
  unalias: async (sh, argv) => {
    if (argv[1] === '-a') {
      sh.root.aliases.clear();
      return 0;
    }
    let status = 0;
    for (const a of argv.slice(1)) {
      if (!sh.root.aliases.delete(a)) {
        await sh.writeErr(`unalias: ${a} not found\n`);
        status = 1;
      }
    }
    return status;
  },
  cd: cdCmd,
  chdir: cdCmd,
  command: commandCmd,
  getopts: getoptsCmd,
  hash: async () => 0,
  jobs: async (sh) => {
    let text = '';
    const last = sh.jobs[sh.jobs.length - 1];
    for (const j of sh.jobs) {
      const state = j.status === undefined ? 'Running' : j.status === 0 ? 'Done' : `Done(${j.status})`;
      text += `[${j.id}]${j === last ? '+' : ' '}  ${state.padEnd(24)}${j.text}\n`;
    }
    sh.jobs = sh.jobs.filter((j) => j.status === undefined);
    await out(sh, text);
    return 0;
  },
  let: async (sh, argv) => {
    if (argv.length < 2) await sh.fail('expression expected');
    let v = 0n;
    for (const e of argv.slice(1)) {
      try {
        v = arith(e, { get: (n) => getVar(sh, n), set: (n, val) => setVarSync(sh, n, val) });
      } catch (err) {
        if (err instanceof ArithError || err instanceof ExpandFailure) await sh.fail(err.message);
        throw err;
      }
    }
    return v === 0n ? 1 : 0;
  },
  pwd: async (sh) => {
    await out(sh, sh.cwd + '\n');
    return 0;
  },
  read: readBuiltin,
  type: async (sh, argv) => {
    let status = 0;
    for (const name of argv.slice(1)) {
      const d = describe(sh, name);
      if (d === undefined) {
        await out(sh, `${name}: not found\n`);
        status = 127;
      } else await out(sh, `${name} is ${d.long}\n`);
    }
    return status;
  },
  ulimit: async (sh, argv) => {
    const opt = argv.find((a) => /^-[a-zA-Z]+$/.test(a)) ?? '-f';
    const value = argv.find((a, i) => i > 0 && !a.startsWith('-'));
    if (value !== undefined) return 0;
    await out(sh, opt === '-n' ? '1048576\n' : opt === '-a' ? ulimitAll() : 'unlimited\n');
    return 0;
  },
  umask: umaskCmd,
  wait: waitCmd,
};

function ulimitAll(): string {
  return [
    '-t: cpu time (seconds)             unlimited',
    '-f: file size (blocks)             unlimited',
    '-d: data seg size (kb)             unlimited',
    '-s: stack size (kb)                8192',
    '-c: core file size (blocks)        unlimited',
    '-m: resident set size (kb)         unlimited',
    '-l: locked memory (kb)             64',
    '-p: processes                      unlimited',
    '-n: file descriptors               1048576',
    '-v: address space (kb)             unlimited',
    '-w: locks                          unlimited',
    '-e: scheduling priority            0',
    '-r: real-time priority             0',
    '',
  ].join('\n');
}

async function cdCmd(sh: Shell, argv: string[]): Promise<number> {
  const args = argv.slice(1).filter((a) => a !== '-L' && a !== '-P');
  let dir = args[0];
  let print = false;
  if (dir === undefined) dir = sh.vars.get('HOME') ?? '/';
  else if (dir === '-') {
    dir = sh.vars.get('OLDPWD') ?? sh.cwd;
    print = true;
  }
  const target = resolvePath(sh.cwd, dir);
  try {
    const st = sh.ctx.fs.stat(target);
    if (st.type !== 'dir') await sh.fail(`can't cd to ${dir}: Not a directory`);
    sh.ctx.fs.access(target, 1);
  } catch (err) {
    if (!isFsError(err)) throw err;
    await sh.fail(`can't cd to ${dir}: ${err.message}`);
  }
  sh.vars.set('OLDPWD', sh.cwd);
  sh.cwd = target;
  sh.vars.set('PWD', target);
  if (print) await out(sh, target + '\n');
  return 0;
}

interface Description {
  short: string; // command -v
  long: string; // type, command -V: "X is ..."
}

function describe(sh: Shell, name: string): Description | undefined {
  if (KEYWORD_NAMES.has(name)) return { short: name, long: 'a shell keyword' };
  const alias = sh.root.aliases.get(name);
  if (alias !== undefined) return { short: `alias ${name}=${singleQuote(alias)}`, long: `an alias for ${alias}` };
  const kind = builtinKind(name, sh);
  if (kind === 'special') return { short: name, long: 'a special shell builtin' };
  if (kind === 'function') return { short: name, long: 'a function' };
  if (kind !== 'external') return { short: name, long: 'a shell builtin' };
  const path = findInPath(sh.ctx.fs, name, sh.vars.get('PATH') ?? DEFAULT_PATH, sh.cwd);
  if (path === undefined) return undefined;
  if (name.includes('/')) {
    try {
      sh.ctx.fs.access(path, 1);
    } catch {
      return undefined;
    }
  }
  return { short: path, long: path };
}

async function commandCmd(sh: Shell, argv: string[]): Promise<number> {
  let i = 1;
  let mode = '';
  for (; i < argv.length && argv[i].startsWith('-') && argv[i] !== '-'; i++) {
    if (argv[i] === '--') {
      i++;
      break;
    }
    for (const c of argv[i].slice(1)) {
      if (c === 'v' || c === 'V') mode = c;
      else if (c !== 'p') await sh.fail(`illegal option -${c}`);
    }
  }
  const rest = argv.slice(i);
  if (rest.length === 0) return 0;
  if (mode) {
    let status = 0;
    for (const name of rest) {
      const d = describe(sh, name);
      if (d === undefined) {
        if (mode === 'V') await sh.writeErr(`${name}: not found\n`);
        status = 127;
      } else await out(sh, mode === 'v' ? `${d.short}\n` : `${name} is ${d.long}\n`);
    }
    return status;
  }
  // Runs the command, skipping functions.
  const kind = builtinKind(rest[0], sh, true);
  if (kind === 'external' || kind === 'function') return runExternal(sh, rest, undefined, false);
  return runBuiltin(sh, kind, rest);
}

async function getoptsCmd(sh: Shell, argv: string[]): Promise<number> {
  if (argv.length < 3) await sh.fail('usage: getopts optstring var [arg]');
  const optstr = argv[1];
  const name = argv[2];
  const args = argv.length > 3 ? argv.slice(3) : sh.params;
  const st = getoptsState(sh);
  let ind = Number(sh.vars.get('OPTIND') ?? '1');
  if (!(ind >= 1)) ind = 1;
  if (ind !== st.ind) st.off = 0;
  let c = '?';
  let done = false;
  let p: string | undefined;
  let next = ind - 1; // index into args of the next word
  if (st.off > 0 && next - 1 >= 0 && st.off < (args[next - 1] ?? '').length) {
    p = args[next - 1].slice(st.off);
  }
  let word = next - 1;
  if (p === undefined) {
    const w = args[next];
    if (w === undefined || w[0] !== '-' || w.length === 1 || w === '--') {
      if (w === '--') next++;
      sh.vars.unset('OPTARG');
      done = true;
    } else {
      p = w.slice(1);
      word = next;
      next++;
    }
  }
  let off = 0;
  if (!done && p !== undefined) {
    c = p[0];
    const rest = p.slice(1);
    const at = c === ':' ? -1 : optstr.indexOf(c);
    const silent = optstr[0] === ':' || sh.vars.get('OPTERR') === '0';
    if (at < 0) {
      if (silent) sh.vars.set('OPTARG', c);
      else {
        await sh.writeErr(`Illegal option -${c}\n`);
        sh.vars.unset('OPTARG');
      }
      c = '?';
      off = rest ? args[word].length - rest.length : 0;
    } else if (optstr[at + 1] === ':') {
      if (rest) sh.vars.set('OPTARG', rest);
      else if (next < args.length) sh.vars.set('OPTARG', args[next++]);
      else if (silent) {
        sh.vars.set('OPTARG', c);
        c = ':';
      } else {
        await sh.writeErr(`No arg for -${c} option\n`);
        sh.vars.unset('OPTARG');
        c = '?';
      }
    } else {
      sh.vars.set('OPTARG', '');
      off = rest ? args[word].length - rest.length : 0;
    }
  }
  const newInd = next + 1;
  sh.vars.set('OPTIND', String(newInd));
  st.ind = newInd;
  st.off = off;
  if (!isName(name)) await sh.fail(`${name}: bad variable name`);
  sh.vars.set(name, c);
  return done ? 1 : 0;
}

const getoptsStates = new WeakMap<Shell, { ind: number; off: number }>();
function getoptsState(sh: Shell): { ind: number; off: number } {
  let s = getoptsStates.get(sh);
  if (!s) getoptsStates.set(sh, (s = { ind: 1, off: 0 }));
  return s;
}

async function umaskCmd(sh: Shell, argv: string[]): Promise<number> {
  let i = 1;
  let symbolic = false;
  if (argv[i] === '-S') {
    symbolic = true;
    i++;
  }
  const mode = argv[i];
  if (mode === undefined) {
    if (symbolic) {
      const perm = (m: number) => (m & 4 ? '' : 'r') + (m & 2 ? '' : 'w') + (m & 1 ? '' : 'x');
      await out(sh, `u=${perm(sh.umask >> 6)},g=${perm(sh.umask >> 3)},o=${perm(sh.umask)}\n`);
    } else await out(sh, sh.umask.toString(8).padStart(4, '0') + '\n');
    return 0;
  }
  if (/^[0-7]+$/.test(mode)) {
    const m = parseInt(mode, 8);
    if (m > 0o777) await sh.fail(`illegal mode: ${mode}`);
    sh.umask = m;
    return 0;
  }
  // Symbolic: the permissions to allow, as chmod would set them on 777 ^ umask.
  let perms = 0o777 & ~sh.umask;
  for (const clause of mode.split(',')) {
    const m = /^([ugoa]*)([-+=])([rwx]*)$/.exec(clause);
    if (!m) await sh.fail(`illegal mode: ${mode}`);
    const who = m![1] === '' || m![1].includes('a') ? 'ugo' : m![1];
    let bits = 0;
    for (const c of m![3]) bits |= c === 'r' ? 4 : c === 'w' ? 2 : 1;
    for (const w of who) {
      const shift = w === 'u' ? 6 : w === 'g' ? 3 : 0;
      if (m![2] === '+') perms |= bits << shift;
      else if (m![2] === '-') perms &= ~(bits << shift);
      else perms = (perms & ~(7 << shift)) | (bits << shift);
    }
  }
  sh.umask = 0o777 & ~perms;
  return 0;
}

// The job a %spec names, or undefined.
function findJob(sh: Shell, spec: string): Job | undefined {
  const s = spec.slice(1);
  if (s === '' || s === '%' || s === '+') return sh.jobs[sh.jobs.length - 1];
  if (s === '-') return sh.jobs[sh.jobs.length - 2];
  if (/^[0-9]+$/.test(s)) return sh.jobs.find((j) => j.id === Number(s));
  const found = sh.jobs.filter((j) => (s[0] === '?' ? j.text.includes(s.slice(1)) : j.text.startsWith(s)));
  return found.length === 1 ? found[0] : undefined;
}

async function killArgs(sh: Shell, argv: string[]): Promise<string[]> {
  if (argv[1] === '-l' || argv[1] === '-L') return argv;
  const out: string[] = [argv[0]];
  for (const a of argv.slice(1)) {
    if (a[0] !== '%') {
      out.push(a);
      continue;
    }
    const job = findJob(sh, a);
    if (!job) {
      const saved = sh.cmdName;
      sh.cmdName = 'kill';
      try {
        await sh.fail(`${a}: no such job`);
      } finally {
        sh.cmdName = saved;
      }
    }
    for (const pid of job!.pids) if (sh.ctx.container.procs.get(pid)) out.push(String(pid));
  }
  return out;
}

async function waitCmd(sh: Shell, argv: string[]): Promise<number> {
  const args = argv.slice(1);
  if (args.length === 0) {
    for (;;) {
      const running = sh.jobs.filter((j) => j.status === undefined);
      if (running.length === 0) break;
      const r = await sh.interruptible(Promise.race(running.map((j) => j.done)));
      if ('signal' in r) return 128 + r.signal;
    }
    sh.jobs = [];
    return 0;
  }
  let status = 127;
  for (const a of args) {
    let job: Job | undefined;
    if (a[0] === '%') {
      job = findJob(sh, a);
      if (!job) await sh.fail(`${a}: no such job`);
    } else {
      const pid = await number(sh, a);
      job = sh.jobs.find((j) => j.proc.pid === pid);
      if (!job) {
        status = 127;
        continue;
      }
    }
    const r = await sh.interruptible(job!.done);
    if ('signal' in r) return 128 + r.signal;
    status = r.value;
    sh.jobs = sh.jobs.filter((j) => j !== job);
  }
  return status;
}

export { EXIT };
