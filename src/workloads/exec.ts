import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { FakecriError } from '../domain/errors';
import { sleep as delay } from '../domain/sleep';

// The small command interpreter behind ExecSync (what exec probes and
// lifecycle hooks run) and behind a container's own command (command.ts). It
// sees the files a behaviour declares and the real files of the container's
// mounts.
export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export type Stream = 'stdout' | 'stderr';

// Time as the interpreter sees it: `sleep` and loops go through it, so a
// container's program can run on a timeline that starts at its start time.
export interface Clock {
  now(): number; // ms
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: Clock = { now: () => Date.now(), sleep: (ms, signal) => delay(ms, signal) };

export interface ExecEnv {
  // Container path → content, from the behaviour.
  files: Record<string, string>;
  // Container path → host path, from CreateContainer's mounts.
  mounts: { container_path: string; host_path: string }[];
  signal: AbortSignal;
  clock?: Clock;
  // Where output goes as it is written; ExecSync collects it.
  write?: (stream: Stream, text: string) => void;
  // What a command the interpreter does not know does: fail with 127, as a
  // shell does (ExecSync), or run until stopped, as a container's own
  // program (a server from some image) does.
  unknown?: 'not-found' | 'run-forever';
  hostname?: string;
  // Who the process runs as, for `id`.
  identity?: Identity;
}

export interface Identity {
  uid: number;
  gid: number;
  groups: number[]; // supplementary, besides gid
  user?: string; // the user name, when known
}

// `$(script)` inside a word is kept between these marks until it is run.
const SUB_OPEN = '\u0000';
const SUB_CLOSE = '\u0001';

type Node =
  | { argv: string[] }
  | { op: ';' | '&&' | '||'; left: Node; right: Node }
  | { loop: 'while' | 'until'; cond: Node; body: Node }
  | { if: Node; then: Node; else?: Node }
  | { not: Node };

// Commands that run until they are stopped, whatever their arguments.
const FOREVER = new Set(['top', 'pause', 'tail']);

export async function execCommand(cmd: string[], env: ExecEnv): Promise<ExecResult> {
  const out = { stdout: '', stderr: '' };
  const code = await runCommand(cmd, { ...env, write: (stream, text) => (out[stream] += text) });
  return { ...out, exitCode: code };
}

class Exit {
  constructor(readonly code: number) {}
}

// Runs argv (`sh -c SCRIPT` or a single command) and answers its exit code.
// Output goes to env.write. Rejects with the signal's reason when aborted.
export async function runCommand(argv: string[], env: ExecEnv): Promise<number> {
  if (argv.length === 0) return 0;
  const [name, ...args] = argv;
  const base = posix.basename(name);
  try {
    if ((base === 'sh' || base === 'bash') && args[0] === '-c') {
      let node: Node;
      try {
        node = parseScript(args[1] ?? '');
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        env.write?.('stderr', `sh: ${err.message}\n`);
        return 2;
      }
      return await evalNode(node, env);
    }
    return await builtin(base, args, env);
  } catch (err) {
    if (err instanceof Exit) return err.code;
    throw err;
  }
}

// Whether the interpreter knows argv[0] (after `sh -c`, the script's commands
// are interpreted whatever they are).
export function knownCommand(argv: string[]): boolean {
  const base = posix.basename(argv[0] ?? '');
  return BUILTINS.has(base) || ((base === 'sh' || base === 'bash') && argv[1] === '-c');
}

async function evalNode(node: Node, env: ExecEnv): Promise<number> {
  if ('argv' in node) {
    const words: string[] = [];
    for (const w of node.argv) words.push(w.includes(SUB_OPEN) ? await substitute(w, env) : w);
    const { argv, env: redirected } = redirect(words, env);
    return argv.length === 0 ? 0 : builtin(posix.basename(argv[0]), argv.slice(1), redirected);
  }
  if ('not' in node) return (await evalNode(node.not, env)) === 0 ? 1 : 0;
  if ('if' in node) {
    if ((await evalNode(node.if, env)) === 0) return evalNode(node.then, env);
    return node.else ? evalNode(node.else, env) : 0;
  }
  if ('loop' in node) {
    const clock = env.clock ?? realClock;
    let code = 0;
    for (;;) {
      const t = clock.now();
      const c = await evalNode(node.cond, env);
      if ((c === 0) !== (node.loop === 'while')) return code;
      code = await evalNode(node.body, env);
      // An iteration takes some time, so that a loop without a sleep neither
      // blocks fakecri nor writes without end.
      if (clock.now() === t) await clock.sleep(10, env.signal);
    }
  }
  const left = await evalNode(node.left, env);
  if (node.op === '&&' && left !== 0) return left;
  if (node.op === '||' && left === 0) return left;
  return evalNode(node.right, env);
}

// Runs each $(script) of the word and puts its output, without trailing
// newlines, in its place (no word splitting).
async function substitute(word: string, env: ExecEnv): Promise<string> {
  let result = '';
  let rest = word;
  for (;;) {
    const open = rest.indexOf(SUB_OPEN);
    if (open < 0) return result + rest;
    const close = rest.indexOf(SUB_CLOSE, open);
    result += rest.slice(0, open);
    let out = '';
    const inner: ExecEnv = { ...env, write: (stream, text) => (stream === 'stdout' ? (out += text) : env.write?.(stream, text)) };
    try {
      await evalNode(parseScript(rest.slice(open + 1, close)), inner);
    } catch (err) {
      if (!(err instanceof Exit)) throw err;
    }
    result += out.replace(/\n+$/, '');
    rest = rest.slice(close + 1);
  }
}

// The redirections scripts use most: `>&2`, `2>&1`, and `>/dev/null`,
// `2>/dev/null`, `&>/dev/null`. Others are left as words.
function redirect(words: string[], env: ExecEnv): { argv: string[]; env: ExecEnv } {
  const to: Record<Stream, Stream | null> = { stdout: 'stdout', stderr: 'stderr' };
  const argv: string[] = [];
  for (const w of words) {
    if (w === '>&2' || w === '1>&2') to.stdout = to.stderr;
    else if (w === '2>&1') to.stderr = to.stdout;
    else if (w === '>/dev/null' || w === '1>/dev/null') to.stdout = null;
    else if (w === '2>/dev/null') to.stderr = null;
    else if (w === '&>/dev/null') to.stdout = to.stderr = null;
    else argv.push(w);
  }
  if (argv.length === words.length) return { argv, env };
  const write = env.write;
  return {
    argv,
    env: {
      ...env,
      write: (stream, text) => {
        const target = to[stream];
        if (target) write?.(target, text);
      },
    },
  };
}

const BUILTINS = new Set(['true', ':', 'false', 'exit', 'echo', 'cat', 'test', '[', 'ls', 'sleep', 'pgrep', 'hostname', 'id', ...FOREVER]);

async function builtin(name: string, args: string[], env: ExecEnv): Promise<number> {
  const write = (stream: Stream, text: string) => env.write?.(stream, text);
  const clock = env.clock ?? realClock;
  switch (name) {
    case 'true':
    case ':':
      return 0;
    case 'false':
      return 1;
    case 'exit':
      throw new Exit(args[0] === undefined ? 0 : Number(args[0]) & 255);
    case 'echo': {
      const noNewline = args[0] === '-n';
      write('stdout', (noNewline ? args.slice(1) : args).join(' ') + (noNewline ? '' : '\n'));
      return 0;
    }
    case 'cat': {
      let code = 0;
      for (const path of args) {
        const content = readFile(path, env);
        if (content === undefined) {
          write('stderr', `cat: ${path}: No such file or directory\n`);
          code = 1;
        } else write('stdout', content);
      }
      return code;
    }
    case 'test':
    case '[': {
      let a = name === '[' ? args.slice(0, args[args.length - 1] === ']' ? -1 : undefined) : args;
      const negate = a[0] === '!' && a.length > 1;
      if (negate) a = a.slice(1);
      let code: number;
      if (a.length === 2 && (a[0] === '-f' || a[0] === '-e' || a[0] === '-d')) {
        const kind = kindOf(a[1], env);
        if (a[0] === '-e') code = kind ? 0 : 1;
        else code = kind === (a[0] === '-f' ? 'file' : 'dir') ? 0 : 1;
      } else if (a.length === 1) code = a[0] ? 0 : 1;
      else {
        write('stderr', `${name}: unsupported expression\n`);
        return 2;
      }
      return negate ? 1 - code : code;
    }
    case 'ls': {
      const paths = args.filter((a) => !a.startsWith('-'));
      let code = 0;
      for (const path of paths.length ? paths : ['/']) {
        const entries = list(path, env);
        if (!entries) {
          write('stderr', `ls: cannot access '${path}': No such file or directory\n`);
          code = 2;
        } else if (entries.length) write('stdout', `${entries.join('\n')}\n`);
      }
      return code;
    }
    case 'sleep': {
      if (args[0] === 'infinity') return forever(env);
      const ms = sleepMs(args[0]);
      if (ms === undefined) {
        write('stderr', `sleep: invalid time interval '${args[0] ?? ''}'\n`);
        return 1;
      }
      await clock.sleep(ms, env.signal);
      return 0;
    }
    // The processes of the container are not visible: nothing matches.
    case 'pgrep':
      return 1;
    case 'hostname':
      write('stdout', `${env.hostname ?? 'localhost'}\n`);
      return 0;
    case 'id':
      return id(args, env.identity ?? { uid: 0, gid: 0, groups: [] }, write);
    default:
      if (FOREVER.has(name) || env.unknown === 'run-forever') return forever(env);
      write('stderr', `sh: ${name}: command not found\n`);
      return 127;
  }
}

// id [-u|-g|-G] [-n]: numbers, or names where known (root for 0).
function id(args: string[], who: Identity, write: (stream: Stream, text: string) => void): number {
  const flags = args.filter((a) => a.startsWith('-')).join('').replaceAll('-', '');
  const name = (n: number, user?: string) => user ?? (n === 0 ? 'root' : undefined);
  const groups = [...new Set([who.gid, ...who.groups])];
  if (flags.includes('n')) {
    const n = flags.includes('u') ? name(who.uid, who.user) : flags.includes('g') || flags.includes('G') ? name(who.gid) : undefined;
    if (n === undefined) {
      write('stderr', `id: cannot find name for ${flags.includes('u') ? 'user' : 'group'} ID ${flags.includes('u') ? who.uid : who.gid}\n`);
      return 1;
    }
    write('stdout', `${n}\n`);
    return 0;
  }
  if (flags.includes('u')) write('stdout', `${who.uid}\n`);
  else if (flags.includes('G')) write('stdout', `${groups.join(' ')}\n`);
  else if (flags.includes('g')) write('stdout', `${who.gid}\n`);
  else {
    const fmt = (n: number, user?: string) => `${n}${name(n, user) ? `(${name(n, user)})` : ''}`;
    write('stdout', `uid=${fmt(who.uid, who.user)} gid=${fmt(who.gid)} groups=${groups.map((g) => fmt(g)).join(',')}\n`);
  }
  return 0;
}

// Runs until the signal ends it.
function forever(env: ExecEnv): Promise<number> {
  return new Promise((_, reject) => {
    if (env.signal.aborted) return reject(env.signal.reason);
    env.signal.addEventListener('abort', () => reject(env.signal.reason), { once: true });
  });
}

// sleep's operand: seconds, or a number with s, m, h or d.
function sleepMs(arg: string | undefined): number | undefined {
  const m = arg === undefined ? null : /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
  if (!m) return undefined;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]]!;
  return Number(m[1]) * unit * 1000;
}

// A mount's host path for a container path, or undefined.
function hostPath(path: string, env: ExecEnv): string | undefined {
  const p = posix.normalize(path);
  for (const m of env.mounts) {
    const root = posix.normalize(m.container_path);
    if (p === root || p.startsWith(`${root}/`)) {
      const rest = p.slice(root.length);
      if (rest.split('/').includes('..')) return undefined;
      return join(m.host_path, rest);
    }
  }
  return undefined;
}

function readFile(path: string, env: ExecEnv): string | undefined {
  const declared = env.files[posix.normalize(path)];
  if (declared !== undefined) return declared;
  const host = hostPath(path, env);
  try {
    return host && statSync(host).isFile() ? readFileSync(host, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

function kindOf(path: string, env: ExecEnv): 'file' | 'dir' | undefined {
  const p = posix.normalize(path);
  if (env.files[p] !== undefined) return 'file';
  if (Object.keys(env.files).some((f) => f.startsWith(`${p === '/' ? '' : p}/`))) return 'dir';
  const host = hostPath(p, env);
  if (!host || !existsSync(host)) return undefined;
  return statSync(host).isDirectory() ? 'dir' : 'file';
}

function list(path: string, env: ExecEnv): string[] | undefined {
  const p = posix.normalize(path);
  if (env.files[p] !== undefined) return [posix.basename(p)];
  const names = new Set<string>();
  const prefix = p === '/' ? '/' : `${p}/`;
  for (const f of Object.keys(env.files)) if (f.startsWith(prefix)) names.add(f.slice(prefix.length).split('/')[0]);
  for (const m of env.mounts) {
    const root = posix.normalize(m.container_path);
    if (root.startsWith(prefix)) names.add(root.slice(prefix.length).split('/')[0]);
  }
  const host = hostPath(p, env);
  if (host && existsSync(host) && statSync(host).isDirectory()) for (const n of readdirSync(host)) names.add(n);
  if (names.size === 0 && kindOf(p, env) === undefined) return undefined;
  return [...names].sort();
}

type Token = string | { op: ';' | '&&' | '||' };

// `a; b && c || d` with single and double quotes, newlines as `;`,
// `while`/`until … do … done`, `if … then … [else …] fi` and `!`. `;`, `&&`
// and `||` are left-associative with equal precedence, which gives the same
// exit codes as sh.
export function parseScript(script: string): Node {
  const tokens: Token[] = [];
  let word: string | null = null;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i];
    if (ch === '$' && script[i + 1] === '(') {
      let depth = 0;
      let end = i + 1;
      for (; end < script.length; end++) {
        if (script[end] === '(') depth++;
        else if (script[end] === ')' && --depth === 0) break;
      }
      if (end >= script.length) throw new SyntaxError(`unterminated $(`);
      word = (word ?? '') + SUB_OPEN + script.slice(i + 2, end) + SUB_CLOSE;
      i = end;
    } else if (ch === "'" || ch === '"') {
      const end = script.indexOf(ch, i + 1);
      if (end < 0) throw new SyntaxError(`unterminated quoted string`);
      word = (word ?? '') + script.slice(i + 1, end);
      i = end;
    } else if (ch === ';' || ch === '\n' || script.startsWith('&&', i) || script.startsWith('||', i)) {
      if (word !== null) tokens.push(word);
      word = null;
      const op = ch === ';' || ch === '\n' ? ';' : (script.slice(i, i + 2) as '&&' | '||');
      tokens.push({ op });
      if (op !== ';') i++;
    } else if (/\s/.test(ch)) {
      if (word !== null) tokens.push(word);
      word = null;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== null) tokens.push(word);
  let pos = 0;
  const peek = () => tokens[pos];
  const expect = (keyword: string) => {
    if (peek() !== keyword) throw new SyntaxError(`syntax error: expected \`${keyword}'`);
    pos++;
  };

  // Commands joined by operators, up to one of `stop` at a command's start.
  const parseList = (stop: string[]): Node | undefined => {
    let node: Node | undefined;
    let pending: ';' | '&&' | '||' | undefined;
    for (;;) {
      const t = peek();
      if (t === undefined || (typeof t === 'string' && stop.includes(t))) break;
      if (typeof t !== 'string') {
        if (t.op !== ';' && (!node || pending)) throw new SyntaxError(`syntax error near unexpected token \`${t.op}'`);
        if (node && !pending) pending = t.op;
        pos++;
        continue;
      }
      const cmd = parseCommand();
      node = node && pending ? { op: pending, left: node, right: cmd } : (node ?? cmd);
      pending = undefined;
    }
    if (pending && pending !== ';') throw new SyntaxError(`syntax error: unexpected end of file`);
    return node;
  };
  const required = (stop: string[]): Node => {
    const n = parseList(stop);
    if (!n) throw new SyntaxError(`syntax error near unexpected token \`${String(peek() ?? 'end of file')}'`);
    return n;
  };
  const parseCommand = (): Node => {
    const t = peek() as string;
    if (t === 'while' || t === 'until') {
      pos++;
      const cond = required(['do']);
      expect('do');
      const body = required(['done']);
      expect('done');
      return { loop: t, cond, body };
    }
    if (t === 'if') {
      pos++;
      const cond = required(['then']);
      expect('then');
      const then = required(['else', 'fi']);
      let otherwise: Node | undefined;
      if (peek() === 'else') {
        pos++;
        otherwise = required(['fi']);
      }
      expect('fi');
      return { if: cond, then, else: otherwise };
    }
    if (t === '!') {
      pos++;
      return { not: parseCommand() };
    }
    const argv: string[] = [];
    while (typeof peek() === 'string') argv.push(tokens[pos++] as string);
    return { argv };
  };

  const node = parseList([]);
  if (pos < tokens.length) throw new SyntaxError(`syntax error near unexpected token \`${String(peek())}'`);
  return node ?? { argv: [] };
}

export function execTimeoutError(seconds: number): FakecriError {
  return new FakecriError('DEADLINE_EXCEEDED', `failed to exec in container: timeout ${seconds}s exceeded`);
}
