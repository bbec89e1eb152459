import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { FakecriError } from '../domain/errors';

// The small command interpreter behind ExecSync: what exec probes and
// lifecycle hooks run. It sees the files a behaviour declares and the real
// files of the container's mounts.
export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ExecEnv {
  // Container path → content, from the behaviour.
  files: Record<string, string>;
  // Container path → host path, from CreateContainer's mounts.
  mounts: { container_path: string; host_path: string }[];
  signal: AbortSignal;
}

type Node = { argv: string[] } | { op: ';' | '&&' | '||'; left: Node; right: Node };

export async function execCommand(cmd: string[], env: ExecEnv): Promise<ExecResult> {
  const out = { stdout: '', stderr: '' };
  const code = await run(cmd, env, out);
  return { ...out, exitCode: code };
}

class Exit {
  constructor(readonly code: number) {}
}

async function run(argv: string[], env: ExecEnv, out: { stdout: string; stderr: string }): Promise<number> {
  if (argv.length === 0) return 0;
  const [name, ...args] = argv;
  const base = posix.basename(name);
  if ((base === 'sh' || base === 'bash') && args[0] === '-c') {
    try {
      return await evalNode(parseScript(args[1] ?? ''), env, out);
    } catch (err) {
      if (err instanceof Exit) return err.code;
      if (err instanceof SyntaxError) {
        out.stderr += `sh: ${err.message}\n`;
        return 2;
      }
      throw err;
    }
  }
  try {
    return await builtin(base, args, env, out);
  } catch (err) {
    if (err instanceof Exit) return err.code;
    throw err;
  }
}

async function evalNode(node: Node, env: ExecEnv, out: { stdout: string; stderr: string }): Promise<number> {
  if ('argv' in node) return builtin(posix.basename(node.argv[0] ?? ''), node.argv.slice(1), env, out, node.argv.length === 0);
  const left = await evalNode(node.left, env, out);
  if (node.op === '&&' && left !== 0) return left;
  if (node.op === '||' && left === 0) return left;
  return evalNode(node.right, env, out);
}

async function builtin(name: string, args: string[], env: ExecEnv, out: { stdout: string; stderr: string }, empty = false): Promise<number> {
  if (empty) return 0;
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
      out.stdout += (noNewline ? args.slice(1) : args).join(' ') + (noNewline ? '' : '\n');
      return 0;
    }
    case 'cat': {
      let code = 0;
      for (const path of args) {
        const content = readFile(path, env);
        if (content === undefined) {
          out.stderr += `cat: ${path}: No such file or directory\n`;
          code = 1;
        } else out.stdout += content;
      }
      return code;
    }
    case 'test':
    case '[': {
      const a = name === '[' ? args.slice(0, args[args.length - 1] === ']' ? -1 : undefined) : args;
      if (a.length === 2 && (a[0] === '-f' || a[0] === '-e' || a[0] === '-d')) {
        const kind = kindOf(a[1], env);
        if (a[0] === '-e') return kind ? 0 : 1;
        return kind === (a[0] === '-f' ? 'file' : 'dir') ? 0 : 1;
      }
      if (a.length === 1) return a[0] ? 0 : 1;
      out.stderr += `${name}: unsupported expression\n`;
      return 2;
    }
    case 'ls': {
      const paths = args.filter((a) => !a.startsWith('-'));
      let code = 0;
      for (const path of paths.length ? paths : ['/']) {
        const entries = list(path, env);
        if (!entries) {
          out.stderr += `ls: cannot access '${path}': No such file or directory\n`;
          code = 2;
        } else if (entries.length) out.stdout += `${entries.join('\n')}\n`;
      }
      return code;
    }
    case 'sleep': {
      const seconds = Number(args[0] ?? 0);
      if (!Number.isFinite(seconds) || seconds < 0) {
        out.stderr += `sleep: invalid time interval '${args[0]}'\n`;
        return 1;
      }
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, seconds * 1000);
        env.signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(env.signal.reason);
        }, { once: true });
      });
      return 0;
    }
    default:
      out.stderr += `sh: ${name}: command not found\n`;
      return 127;
  }
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

// `a; b && c || d` with single and double quotes; left-associative, as sh.
export function parseScript(script: string): Node {
  const tokens: (string | { op: ';' | '&&' | '||' })[] = [];
  let word: string | null = null;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i];
    if (ch === "'" || ch === '"') {
      const end = script.indexOf(ch, i + 1);
      if (end < 0) throw new SyntaxError(`unterminated quoted string`);
      word = (word ?? '') + script.slice(i + 1, end);
      i = end;
    } else if (ch === ';' || script.startsWith('&&', i) || script.startsWith('||', i)) {
      if (word !== null) tokens.push(word);
      word = null;
      const op = ch === ';' ? ';' : (script.slice(i, i + 2) as '&&' | '||');
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
  let node: Node | undefined;
  let argv: string[] = [];
  let pending: ';' | '&&' | '||' | undefined;
  const flush = () => {
    const cmd: Node = { argv };
    node = node && pending ? { op: pending, left: node, right: cmd } : cmd;
    argv = [];
  };
  for (const t of tokens) {
    if (typeof t === 'string') argv.push(t);
    else {
      if (argv.length === 0 && t.op !== ';') throw new SyntaxError(`syntax error near unexpected token \`${t.op}'`);
      flush();
      pending = t.op;
    }
  }
  if (argv.length || !node) flush();
  return node!;
}

export function execTimeoutError(seconds: number): FakecriError {
  return new FakecriError('DEADLINE_EXCEEDED', `failed to exec in container: timeout ${seconds}s exceeded`);
}
