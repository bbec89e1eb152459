import { posix } from 'node:path';
import { resolvePath } from '../rootfs/path';
import { isFsError } from '../rootfs/types';
import { ArithError, arith } from './arith';
import { ExpandFailure, getVar, setVarSync } from './expand';
import { runApplet, runExternal } from './external';
import { getoptsCmd } from './getopts';
import { fgBgCmd, jobsCmd, killArgs, waitCmd } from './jobs';
import { type BuiltinKind, builtinKind } from './kinds';
import { isName } from './lexer';
import { describe, dot } from './lookup';
import { builtinFlags, setCmd } from './options';
import { readBuiltin } from './read';
import { ExitSignal, LIMITS, LoopSignal, ReturnSignal, type Shell, ShellError } from './shell';
import { NTRAP_ERR, SIGNAL_NAMES, signalNumber } from './signals';
import { EXPORT, READONLY } from './vars';
import { singleQuote } from './xtrace';

// The commands busybox ash runs itself. Special builtins (POSIX's): their
// errors end a non-interactive shell and their prefix assignments stay.

type Builtin = (sh: Shell, argv: string[]) => Promise<number>;

// Runs a builtin with ash's commandname set for its messages. An error in
// a regular builtin gives status 2 and the shell goes on.
export async function runBuiltin(sh: Shell, kind: BuiltinKind, argv: string[]): Promise<number> {
  if (kind === 'applet') {
    // kill is a regular builtin in ash: a bad %job is status 2, and on.
    if (argv[0] === 'kill') {
      try {
        argv = await killArgs(sh, argv);
      } catch (err) {
        if (err instanceof ShellError) return err.status;
        throw err;
      }
    }
    return runApplet(sh, argv);
  }
  const fn = kind === 'special' ? SPECIALS[argv[0]] : REGULAR[argv[0]];
  const saved = sh.cmdName;
  // ash handles `command` itself, without naming it in messages.
  if (argv[0] !== 'command') sh.cmdName = argv[0];
  try {
    const status = await fn(sh, argv);
    // evalbltin: status |= ferror(stdout).
    return sh.stdoutFailed ? status | 1 : status;
  } catch (err) {
    if (err instanceof ShellError && kind === 'regular') return err.status;
    throw err;
  } finally {
    sh.cmdName = saved;
    sh.stdoutFailed = false;
  }
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
    return sh.nested(() => sh.evalString(argv.slice(1).join(' ')));
  },
  exec: async (sh, argv) => {
    if (argv.length < 2) return 0;
    const status = await runExternal(sh, argv.slice(1), undefined, true);
    throw new ExitSignal(status, true);
  },
  exit: async (sh, argv) => {
    let status = sh.inTrap > 0 && sh.trapStatus >= 0 ? sh.trapStatus : sh.status;
    if (argv.length > 1) status = (await sh.number(argv[1])) & 255;
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
    throw new ReturnSignal(argv.length > 1 ? (await sh.number(argv[1])) & 255 : sh.status);
  },
  set: setCmd,
  shift: async (sh, argv) => {
    const n = argv.length > 1 ? await sh.number(argv[1]) : 1;
    // Too many: status 1 and nothing said (ash since 2008, as bash).
    if (n > sh.params.length) return 1;
    sh.params = sh.params.slice(n);
    return 0;
  },
  times: async (sh) => {
    await sh.print('0m0.000s 0m0.000s\n0m0.000s 0m0.000s\n');
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

async function loopCtl(sh: Shell, argv: string[], kind: 'break' | 'continue'): Promise<number> {
  let n = 1;
  if (argv.length > 1) {
    n = await sh.number(argv[1]);
    if (n <= 0) await sh.fail(`Illegal number: ${argv[1]}`);
  }
  if (n > sh.loopDepth) n = sh.loopDepth;
  if (n > 0) throw new LoopSignal(kind, n);
  return 0;
}

async function exportCmd(sh: Shell, argv: string[], flag: number): Promise<number> {
  // ash's nextopt("np"): -p lists (as none does), -n unexports what it
  // names without a value; readonly takes -n and ignores it.
  const { flags: opts, next } = await builtinFlags(sh, argv, 'np');
  const unexport = flag === EXPORT && opts.includes('n');
  const args = argv.slice(next);
  if (args.length === 0) {
    const word = flag === EXPORT ? 'export' : 'readonly';
    let text = '';
    for (const [k, v] of sh.vars.entries()) {
      if (!(v.flags & flag)) continue;
      text += v.value === undefined ? `${word} ${k}\n` : `${word} ${k}=${singleQuote(v.value)}\n`;
    }
    await sh.print(text);
    return 0;
  }
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq < 0 && unexport) {
      if (!isName(a)) await sh.fail(`${a}: bad variable name`);
      sh.vars.clearFlags(a, EXPORT);
    } else if (eq < 0) await setChecked(sh, a, undefined, flag);
    else await setChecked(sh, a.slice(0, eq), a.slice(eq + 1), unexport ? 0 : flag);
  }
  return 0;
}

async function trapCmd(sh: Shell, argv: string[]): Promise<number> {
  // ash's nextopt with no options: `trap -p` is an illegal option.
  const args = argv.slice((await builtinFlags(sh, argv, '')).next);
  if (args.length === 0) {
    let text = '';
    const traps = sh.shownTraps ?? sh.traps;
    for (let n = 0; n <= NTRAP_ERR; n++) {
      const t = traps[n];
      if (t !== undefined) text += `trap -- ${singleQuote(t)} ${n === NTRAP_ERR ? 'ERR' : SIGNAL_NAMES[n]}\n`;
    }
    await sh.print(text);
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
    const n = s === 'ERR' ? NTRAP_ERR : signalNumber(s);
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
      await sh.print(text);
      return 0;
    }
    let status = 0;
    for (const a of argv.slice(1)) {
      const eq = a.indexOf('=');
      if (eq > 0) aliases.set(a.slice(0, eq), a.slice(eq + 1));
      else if (aliases.has(a)) await sh.print(`${a}=${singleQuote(aliases.get(a)!)}\n`);
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
  // ash's hashcmd: -r forgets all; with no name, the commands found so far
  // (their paths); each name is forgotten and looked up again, and one
  // found nowhere is said and makes the status 1.
  hash: async (sh, argv) => {
    if (argv[1] === '-r') {
      sh.hash.clear();
      return 0;
    }
    if (argv.length === 1) {
      for (const path of sh.hash.paths()) await sh.print(`${path}\n`);
      return 0;
    }
    let status = 0;
    for (const name of argv.slice(1)) {
      sh.hash.forget(name);
      if (builtinKind(name, sh) !== 'external') continue;
      if (!sh.hash.lookup(sh.ctx.fs, name, sh.vars.get('PATH') ?? '', sh.cwd).executable) {
        await sh.msg(`${name}: not found`);
        status = 1;
      }
    }
    return status;
  },
  fg: fgBgCmd,
  bg: fgBgCmd,
  jobs: jobsCmd,
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
  pwd: async (sh, argv) => {
    // -P: the path with symlinks resolved (ash's physdir).
    await sh.print((physical(argv) ? realCwd(sh, sh.cwd) : sh.cwd) + '\n');
    return 0;
  },
  read: readBuiltin,
  type: async (sh, argv) => {
    // typecmd: a first argument starting with - (-t, -p, any) is skipped
    // and makes the answers terse, as `command -v` gives them.
    const terse = argv[1]?.startsWith('-') ?? false;
    let status = 0;
    for (const name of argv.slice(terse ? 2 : 1)) {
      const d = describe(sh, name);
      if (d === undefined) {
        if (!terse) await sh.print(`${name}: not found\n`);
        status = 127;
      } else await sh.print(terse ? `${d.short}\n` : `${name} is ${d.long}\n`);
    }
    return status;
  },
  ulimit: async (sh, argv) => {
    const opt = argv.find((a) => /^-[a-zA-Z]+$/.test(a)) ?? '-f';
    const value = argv.find((a, i) => i > 0 && !a.startsWith('-'));
    if (value !== undefined) return 0;
    await sh.print(opt === '-n' ? '1048576\n' : opt === '-a' ? ulimitAll() : 'unlimited\n');
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

// cd and pwd's -L and -P: the last one given wins (ash's cdopt).
function physical(argv: string[]): boolean {
  let p = false;
  for (const a of argv.slice(1)) {
    if (a === '-P') p = true;
    else if (a === '-L') p = false;
  }
  return p;
}

function realCwd(sh: Shell, path: string): string {
  try {
    return sh.ctx.fs.realpath(path);
  } catch {
    return path;
  }
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
  // cdcmd: a name not starting with / or . is looked for down CDPATH; one
  // found through a non-empty entry prints where it went.
  let target = resolvePath(sh.cwd, dir);
  if (!/^(\/|\.\.?(\/|$))/.test(dir)) {
    for (const entry of (sh.vars.get('CDPATH') ?? '').split(':')) {
      const candidate = resolvePath(sh.cwd, posix.join(entry || '.', dir));
      try {
        if (sh.ctx.fs.stat(candidate).type !== 'dir') continue;
      } catch {
        continue;
      }
      target = candidate;
      if (entry) print = true;
      break;
    }
  }
  try {
    const st = sh.ctx.fs.stat(target);
    if (st.type !== 'dir') await sh.fail(`can't cd to ${dir}: Not a directory`);
    sh.ctx.fs.access(target, 1);
  } catch (err) {
    if (!isFsError(err)) throw err;
    await sh.fail(`can't cd to ${dir}: ${err.message}`);
  }
  const to = physical(argv) ? realCwd(sh, target) : target;
  sh.vars.set('OLDPWD', sh.cwd);
  sh.cwd = to;
  sh.vars.set('PWD', to);
  if (print) await sh.print(to + '\n');
  return 0;
}

async function commandCmd(sh: Shell, argv: string[]): Promise<number> {
  // ash runs `command [-p]` itself, but hands an option it does not know
  // there to the builtin, whose messages are named.
  const { flags, next } = await sh.named('command', () => builtinFlags(sh, argv, 'pvV'));
  // -V wins over -v, whatever their order (ash's verify bits).
  const mode = flags.includes('V') ? 'V' : flags.includes('v') ? 'v' : '';
  const rest = argv.slice(next);
  if (rest.length === 0) return 0;
  if (mode) {
    // The first name only, as ash's commandcmd; -V says `not found` on
    // stdout, as type does.
    const name = rest[0];
    const d = describe(sh, name);
    if (d === undefined) {
      if (mode === 'V') await sh.print(`${name}: not found\n`);
      return 127;
    }
    await sh.print(mode === 'v' ? `${d.short}\n` : `${name} is ${d.long}\n`);
    return 0;
  }
  // Runs the command, skipping functions.
  const kind = builtinKind(rest[0], sh, true);
  if (kind === 'external' || kind === 'function') return runExternal(sh, rest, undefined, false);
  return runBuiltin(sh, kind, rest);
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
      await sh.print(`u=${perm(sh.umask >> 6)},g=${perm(sh.umask >> 3)},o=${perm(sh.umask)}\n`);
    } else await sh.print(sh.umask.toString(8).padStart(4, '0') + '\n');
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


