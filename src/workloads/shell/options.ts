import type { Shell } from './shell';
import { singleQuote } from './xtrace';

// Shell options: `sh -eux -o pipefail`, the set builtin, $-.

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
  ['errtrace', 'E'],
  ['pipefail', 'pipefail'],
];

const SHORT = 'aefmnuvxCE';


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
  await sh.print(text);
}


export async function setCmd(sh: Shell, argv: string[]): Promise<number> {
  if (argv.length === 1) {
    let text = '';
    for (const [k, v] of sh.vars.entries()) if (v.value !== undefined) text += `${k}=${singleQuote(v.value)}\n`;
    await sh.print(text);
    return 0;
  }
  const r = await parseOptions(sh, argv, 1, false);
  if (r.next < argv.length || r.ended) sh.params = argv.slice(r.next);
  return 0;
}
