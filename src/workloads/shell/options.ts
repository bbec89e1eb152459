import type { Shell } from './shell';
import { singleQuote } from './xtrace';

// Shell options: `sh -eux -o pipefail`, the set builtin, $-; and the
// option letters of other builtins.

// In ash's order (optletters_optnames), which set -o lists. vi is taken and
// stays off: there is no line editing to set.
const LONG_OPTIONS: [string, keyof Shell['opts'] | undefined][] = [
  ['errexit', 'e'],
  ['noglob', 'f'],
  ['ignoreeof', 'I'],
  ['monitor', 'm'],
  ['noexec', 'n'],
  ['xtrace', 'x'],
  ['verbose', 'v'],
  ['noclobber', 'C'],
  ['allexport', 'a'],
  ['notify', 'b'],
  ['nounset', 'u'],
  ['errtrace', 'E'],
  ['vi', undefined],
  ['pipefail', 'pipefail'],
];

const SHORT = 'efImnxvCabuE';


interface ParsedOptions {
  next: number;
  ended: boolean;
  // An unknown -o name stopped them.
  bad?: boolean;
  c?: boolean;
  s?: boolean;
  i?: boolean;
}

// Sets options from arguments like -eu, +x, -o pipefail; answers the
// index of the first argument that is not an option, and whether `--`
// or `-` ended the options.
export async function parseOptions(sh: Shell, args: string[], start: number, allowStartup: boolean): Promise<ParsedOptions> {
  const r: ParsedOptions = { next: start, ended: false };
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
        // ash's plus_minus_o: a message, and the options stop there (set
        // answers 1; an unknown letter, below, ends the shell).
        if (!opt) {
          await sh.msg(`illegal option ${on ? '-' : '+'}o ${name}`);
          r.next = i;
          r.bad = true;
          return r;
        }
        if (opt[1]) (sh.opts as unknown as Record<string, boolean>)[opt[1]] = on;
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
    const v = key !== undefined && sh.opts[key];
    text += on ? `${name.padEnd(16)}${v ? 'on' : 'off'}\n` : `set ${v ? '-' : '+'}o ${name}\n`;
  }
  await sh.print(text);
}


// A builtin's option letters (command -v, jobs -lp), in the order given, up
// to the first operand or `--`; a letter not in `allowed` ends the shell, as
// ash's nextopt. Answers them and where the operands start.
export async function builtinFlags(sh: Shell, argv: readonly string[], allowed: string): Promise<{ flags: string[]; next: number }> {
  const flags: string[] = [];
  let i = 1;
  for (; i < argv.length && argv[i].startsWith('-') && argv[i] !== '-'; i++) {
    if (argv[i] === '--') {
      i++;
      break;
    }
    for (const c of argv[i].slice(1)) {
      if (!allowed.includes(c)) await sh.fail(`illegal option -${c}`);
      flags.push(c);
    }
  }
  return { flags, next: i };
}

export async function setCmd(sh: Shell, argv: string[]): Promise<number> {
  if (argv.length === 1) {
    let text = '';
    for (const [k, v] of sh.vars.entries()) if (v.value !== undefined) text += `${k}=${singleQuote(v.value)}\n`;
    await sh.print(text);
    return 0;
  }
  const r = await parseOptions(sh, argv, 1, false);
  if (r.bad) return 1;
  if (r.next < argv.length || r.ended) sh.params = argv.slice(r.next);
  return 0;
}
