import type { Applet } from '../applets/types';
import { chunkBuffer } from '../procs/streams';
import { resolvePath } from '../rootfs/path';
import { isFsError } from '../rootfs/types';
import { readText } from './lookup';
import { parseOptions } from './options';
import { parseCached } from './cache';
import { evalNode, evaluator } from './eval';
import { parseLine } from './parser';
import { EXIT, Interrupted, type Root, Shell, ShellError } from './shell';

// The `sh` applet (busybox ash):
//   sh [-eux...] [-o opt] -c SCRIPT [NAME [ARGS...]]
//   sh [opts] FILE [ARGS...]          the script from the container's files
//   sh [opts] [-s] [ARGS...]          the script from stdin, a line at a time
// Answers the shell's exit status: the last command's, 2 after a syntax or
// fatal error (a script file that cannot be opened too: setinputfile's 127
// is overwritten by ash_msg_and_raise_error's 2), 128+n when a signal
// killed it.
export const sh: Applet = async (ctx) => {
  const argv = ctx.argv;
  // As ash: interactive when reading commands from a terminal that it
  // also writes to (isatty(0) && isatty(1)).
  const interactiveHint = !!ctx.stdin.isTTY && !!ctx.stdout.isTTY;
  const root: { -readonly [K in keyof Root]: Root[K] } = { ctx, evaluator, rootPid: ctx.proc.pid, aliases: new Map(), interactive: false };
  const shell = new Shell(root, ctx.proc, argv[0] ?? 'sh');
  let status: number;
  try {
    status = await start(shell, root, argv, interactiveHint);
    status = await shell.finish(status);
  } catch (err) {
    status = await shell.settle(err);
  }
  shell.close();
  return status;
};

async function start(shell: Shell, root: { interactive: boolean }, argv: readonly string[], tty: boolean): Promise<number> {
  const args = argv.slice();
  const r = await parseOptions(shell, args, 1, true);
  // ash's procargs raises an error with $? still 0: the shell ends, 0.
  if (r.bad) throw new ShellError(0);
  let next = r.next;
  if (r.c) {
    shell.opts.c = true;
    const script = args[next++];
    if (script === undefined) await shell.fail('-c requires an argument');
    if (next < args.length) {
      shell.arg0 = args[next++];
      shell.cmdName = shell.arg0;
    }
    shell.params = args.slice(next);
    // Lines of a -c script count from 0 (ash, as bash).
    return runText(shell, script!, 0);
  }
  if (!r.s && next < args.length) {
    const file = args[next++];
    shell.params = args.slice(next);
    let text: string;
    try {
      text = readText(shell, resolvePath(shell.cwd, file));
    } catch (err) {
      if (!isFsError(err)) throw err;
      await shell.msg(`can't open '${file}': ${err.message}`);
      return 2;
    }
    shell.arg0 = file;
    shell.cmdName = file;
    return runText(shell, text, 1);
  }
  shell.opts.s = true;
  shell.params = args.slice(next);
  root.interactive = r.i ?? tty;
  if (root.interactive) shell.setInteractive();
  return runStdin(shell);
}

// A script given whole: parsed once (cached by its text), run line by
// line; a syntax error ends it at its line, after the lines before ran.
async function runText(sh: Shell, text: string, firstLine: number): Promise<number> {
  const script = parseCached(text, firstLine);
  const lines = script.lines;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (sh.opts.v) await sh.writeErr(text.slice(line.start, line.end));
    if (!line.node) continue;
    const last = i === lines.length - 1 && !script.error;
    await evalNode(sh, line.node, last ? EXIT : 0);
  }
  if (script.error) {
    sh.lineno = script.error.line;
    await sh.msg(script.error.message);
    return 2;
  }
  return sh.status;
}

// A script read from stdin: each line runs before the next is read, and
// what follows it stays in stdin for the commands (as bash reads a pipe).
async function runStdin(sh: Shell): Promise<number> {
  let buf = '';
  let eof = false;
  let line = 1;
  // The input so far ends inside a command: more must come (PS2).
  let continuing = false;
  const interactive = sh.root.interactive;
  for (;;) {
    await sh.slice();
    if (buf.includes('\n') || (eof && buf !== '')) {
      const r = parseLine(buf, line);
      if ('eof' in r) {
        buf = '';
        if (eof) break;
        continue;
      }
      if ('error' in r) {
        if (!(r.error.atEof && !eof)) {
          sh.lineno = r.error.line;
          await sh.msg(r.error.message);
          if (!interactive) return 2;
          sh.status = 2;
          // The input up to the end of the wrong line is dropped.
          let at = -1;
          for (let n = r.error.line - line; n >= 0 && at < buf.length; n--) {
            at = buf.indexOf('\n', at + 1);
            if (at < 0) at = buf.length;
          }
          sh.fds[0]?.unread(Buffer.from(buf.slice(at + 1)));
          buf = '';
          line = r.error.line + 1;
          continuing = false;
          continue;
        }
        continuing = true;
      } else {
        if (sh.opts.v) await sh.writeErr(buf.slice(0, r.end));
        // What follows the line goes back to stdin, for the commands to read.
        sh.fds[0]?.unread(Buffer.from(buf.slice(r.end)));
        buf = '';
        line = r.nextLine;
        continuing = false;
        if (r.node) {
          try {
            await evalNode(sh, r.node, 0);
          } catch (err) {
            if (!(interactive && err instanceof ShellError)) throw err;
            sh.status = err.status;
            if (err instanceof Interrupted) await sh.writeErr('\n');
          }
        }
        continue;
      }
    } else if (eof) break;
    if (!interactive) {
      if (!(await more())) eof = true;
      continue;
    }
    try {
      // A ^C that came during the last command abandons nothing more.
      await sh.step();
      await sh.writeErr(prompt(sh, continuing ? 'PS2' : 'PS1'));
      if (!(await more())) eof = true;
    } catch (err) {
      if (!(err instanceof Interrupted)) throw err;
      // ^C at the prompt: the line typed so far is dropped.
      buf = '';
      continuing = false;
      sh.status = err.status;
      await sh.writeErr('\n');
    }
  }
  return sh.status;

  async function more(): Promise<boolean> {
    const f = sh.fds[0];
    if (!f?.input) return false;
    let c;
    for (;;) {
      // preadfd: a read(2) that fails is the end of the input.
      const p = f.read(64 * 1024).catch((err: unknown) => {
        if (isFsError(err) && err.code !== 'EPIPE') return null;
        throw err;
      });
      if (!interactive) {
        c = await sh.guard(p);
        break;
      }
      // A trapped signal (^C) wakes the prompt; its action runs then.
      const r = await sh.interruptible(p);
      if ('value' in r) {
        c = r.value;
        break;
      }
      f.keep(p);
      await sh.runTraps();
    }
    if (c === null) return false;
    buf += chunkBuffer(c).toString('utf8');
    return true;
  }
}

// PS1/PS2 with the escapes of busybox's fancy prompt that matter here.
function prompt(sh: Shell, which: 'PS1' | 'PS2'): string {
  const root = sh.proc.uid === 0;
  const raw = sh.vars.get(which) ?? (which === 'PS1' ? '\\w \\$ ' : '> ');
  const home = sh.vars.get('HOME');
  return raw.replace(/\\([wW$uhn\\])/g, (_, c: string) => {
    switch (c) {
      case 'w':
        return home && (sh.cwd === home || sh.cwd.startsWith(home + '/')) && home !== '/' ? '~' + sh.cwd.slice(home.length) : sh.cwd;
      case 'W':
        return sh.cwd === '/' ? '/' : sh.cwd.slice(sh.cwd.lastIndexOf('/') + 1);
      case '$':
        return root ? '#' : '$';
      case 'u':
        return sh.proc.identity.user ?? String(sh.proc.uid);
      case 'h':
        return sh.ctx.container.hostname.split('.')[0];
      case 'n':
        return '\n';
      default:
        return '\\';
    }
  });
}
