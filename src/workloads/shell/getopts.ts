import { isName } from './lexer';
import type { Shell } from './shell';

// getopts, as ash's: OPTIND and the position inside a word of options.

export async function getoptsCmd(sh: Shell, argv: string[]): Promise<number> {
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
