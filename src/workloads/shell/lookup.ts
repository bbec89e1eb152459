import { posix } from 'node:path';
import { findInPath, resolvePath } from '../rootfs/path';
import { isFsError } from '../rootfs/types';
import { parseCached } from './cache';
import { KEYWORD_NAMES, builtinKind } from './kinds';
import { LIMITS, ReturnSignal, type Shell, ShellError } from './shell';
import { singleQuote } from './xtrace';

// Finding commands and scripts: type, command -v, and `.`.

export async function dot(sh: Shell, argv: string[]): Promise<number> {
  if (argv.length < 2) return 0;
  const name = argv[1];
  const path = name.includes('/') ? resolvePath(sh.cwd, name) : findReadable(sh, name);
  if (path === undefined) await sh.fail(`${name}: not found`);
  let text: string;
  try {
    text = readText(sh, path!);
  } catch (err) {
    if (!isFsError(err)) throw err;
    await sh.fail(`can't open '${name}': ${err.message}`);
  }
  const script = parseCached(text!);
  const savedParams = sh.params;
  const savedName = sh.cmdName;
  const savedLine = sh.lineno;
  if (argv.length > 2) sh.params = argv.slice(2);
  // Messages from the file name it, as ash's dotcmd does.
  sh.cmdName = path;
  try {
    return await sh.nested(async () => {
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
    sh.cmdName = savedName;
    sh.lineno = savedLine;
  }
}


function findReadable(sh: Shell, name: string): string | undefined {
  for (const dir of (sh.vars.get('PATH') ?? '').split(':')) {
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
    // ash reads its input with read(2): one that fails (a directory) is the end.
    const read = () => {
      try {
        return h.read(64 * 1024);
      } catch (err) {
        if (isFsError(err)) return null;
        throw err;
      }
    };
    for (let c = read(); c !== null; c = read()) {
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


export interface Description {
  short: string; // command -v
  long: string; // type, command -V: "X is ..."
}


export function describe(sh: Shell, name: string): Description | undefined {
  if (KEYWORD_NAMES.has(name)) return { short: name, long: 'a shell keyword' };
  const alias = sh.root.aliases.get(name);
  if (alias !== undefined) return { short: `alias ${name}=${singleQuote(alias)}`, long: `an alias for ${alias}` };
  const kind = builtinKind(name, sh);
  if (kind === 'special') return { short: name, long: 'a special shell builtin' };
  if (kind === 'function') return { short: name, long: 'a function' };
  if (kind !== 'external') return { short: name, long: 'a shell builtin' };
  const path = findInPath(sh.ctx.fs, name, sh.vars.get('PATH') ?? '', sh.cwd);
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
