import { type Tool, applet } from './common/tool';

// getopt(1) as busybox's getopt_main: its own options, then the script's
// arguments parsed by glibc's getopt_long (permuted, as GNU does unless the
// optstring starts with + or -, or POSIXLY_CORRECT is set), and printed
// quoted for `eval set --`.

interface LongOpt {
  name: string;
  hasArg: 0 | 1 | 2; // no, required, optional
}

type Found = { kind: 'short'; c: string; arg?: string } | { kind: 'long'; opt: LongOpt; arg?: string } | { kind: 'nonopt'; arg: string } | { kind: 'error' };

const isNonOpt = (a: string): boolean => a[0] !== '-' || a === '-';

// glibc's _getopt_internal_r over argv[1..], messages under argv[0].
class GnuGetopt {
  private optind = 1;
  private nextchar = '';
  private readonly ordering: 'permute' | 'require' | 'inorder';
  private readonly optstring: string;
  private readonly printErrors: boolean;
  // Non-options passed over while permuting, and what follows the end.
  readonly rest: string[] = [];

  constructor(
    private readonly argv: readonly string[],
    optstring: string,
    private readonly longopts: LongOpt[] | undefined,
    private readonly longOnly: boolean,
    quiet: boolean,
    posixlyCorrect: boolean,
    private readonly say: (msg: string) => Promise<void>,
  ) {
    if (optstring[0] === '-') this.ordering = 'inorder';
    else if (optstring[0] === '+' || posixlyCorrect) this.ordering = 'require';
    else this.ordering = 'permute';
    if (optstring[0] === '-' || optstring[0] === '+') optstring = optstring.slice(1);
    this.optstring = optstring;
    // A leading ':' silences getopt(3) as -q does.
    this.printErrors = !quiet && optstring[0] !== ':';
  }

  private async error(msg: string): Promise<Found> {
    if (this.printErrors) await this.say(`${this.argv[0]}: ${msg}\n`);
    return { kind: 'error' };
  }

  // The next option, or undefined at the end (rest then holds the operands).
  async next(): Promise<Found | undefined> {
    const argv = this.argv;
    if (this.nextchar === '') {
      if (this.ordering === 'permute') {
        while (this.optind < argv.length && isNonOpt(argv[this.optind])) this.rest.push(argv[this.optind++]);
      }
      if (this.optind < argv.length && argv[this.optind] === '--') {
        this.rest.push(...argv.slice(this.optind + 1));
        this.optind = argv.length;
        return undefined;
      }
      if (this.optind >= argv.length) return undefined;
      const a = argv[this.optind];
      if (isNonOpt(a)) {
        if (this.ordering === 'inorder') {
          this.optind++;
          return { kind: 'nonopt', arg: a };
        }
        this.rest.push(...argv.slice(this.optind));
        this.optind = argv.length;
        return undefined;
      }
      if (this.longopts && a[1] === '-') {
        this.nextchar = a.slice(2);
        return this.long('--');
      }
      if (this.longOnly && this.longopts && (a.length > 2 || !this.optstring.includes(a[1]))) {
        this.nextchar = a.slice(1);
        const r = await this.long('-');
        if (r) return r;
      }
      this.nextchar = a.slice(1);
    }
    const c = this.nextchar[0];
    this.nextchar = this.nextchar.slice(1);
    const at = this.optstring.indexOf(c);
    if (this.nextchar === '') this.optind++;
    if (at < 0 || c === ':' || c === ';') return this.error(`invalid option -- '${c}'`);
    if (this.optstring[at + 1] !== ':') return { kind: 'short', c };
    if (this.optstring[at + 2] === ':') {
      // Optional: only what is attached.
      const arg = this.nextchar !== '' ? this.nextchar : undefined;
      if (arg !== undefined) this.optind++;
      this.nextchar = '';
      return { kind: 'short', c, arg };
    }
    if (this.nextchar !== '') {
      const arg = this.nextchar;
      this.optind++;
      this.nextchar = '';
      return { kind: 'short', c, arg };
    }
    if (this.optind >= argv.length) return this.error(`option requires an argument -- '${c}'`);
    return { kind: 'short', c, arg: argv[this.optind++] };
  }

  // process_long_option: an exact name, or an unambiguous prefix. Undefined
  // where getopt_long_only falls back to a short option.
  private async long(prefix: string): Promise<Found | undefined> {
    const text = this.nextchar;
    const eq = text.indexOf('=');
    const name = eq < 0 ? text : text.slice(0, eq);
    const longopts = this.longopts!;
    let found = longopts.find((o) => o.name === name);
    if (!found) {
      const ambiguous: LongOpt[] = [];
      for (const o of longopts) {
        if (!o.name.startsWith(name)) continue;
        if (!found) found = o;
        else if (this.longOnly || found.hasArg !== o.hasArg) {
          if (!ambiguous.length) ambiguous.push(found);
          ambiguous.push(o);
        }
      }
      if (ambiguous.length) {
        this.nextchar = '';
        this.optind++;
        return this.error(`option '${prefix}${text}' is ambiguous; possibilities:${ambiguous.map((o) => ` '${prefix}${o.name}'`).join('')}`);
      }
    }
    if (!found) {
      if (!this.longOnly || this.argv[this.optind][1] === '-' || !this.optstring.includes(text[0])) {
        this.nextchar = '';
        this.optind++;
        return this.error(`unrecognized option '${prefix}${text}'`);
      }
      return undefined;
    }
    this.optind++;
    this.nextchar = '';
    if (eq >= 0) {
      if (found.hasArg === 0) return this.error(`option '${prefix}${found.name}' doesn't allow an argument`);
      return { kind: 'long', opt: found, arg: text.slice(eq + 1) };
    }
    if (found.hasArg === 1) {
      if (this.optind < this.argv.length) return { kind: 'long', opt: found, arg: this.argv[this.optind++] };
      return this.error(`option '${prefix}${found.name}' requires an argument`);
    }
    return { kind: 'long', opt: found };
  }
}

// add_long_options: names split at commas and white space; a trailing ":"
// takes an argument, "::" may.
function addLongOptions(to: LongOpt[], spec: string): LongOpt[] {
  for (let tok of spec.split(/[, \t\n]+/)) {
    if (tok === '') continue;
    let hasArg: LongOpt['hasArg'] = 0;
    if (tok.endsWith('::')) {
      hasArg = 2;
      tok = tok.slice(0, -2);
    } else if (tok.endsWith(':')) {
      hasArg = 1;
      tok = tok.slice(0, -1);
    }
    if (hasArg && tok === '') throw new EmptyLong();
    to.push({ name: tok, hasArg });
  }
  return to;
}

class EmptyLong extends Error {}

export const getopt = applet(async (t) => {
  const env = t.ctx.env;
  const compatible = env.GETOPT_COMPATIBLE !== undefined;
  const argv = t.ctx.argv;
  if (argv.length < 2) {
    if (compatible) {
      await t.out.text(' --\n');
      return 0;
    }
    return t.die('missing optstring argument');
  }
  // The old form: the first argument is the optstring, output unquoted.
  if (argv[1][0] !== '-' || compatible) {
    const optstring = argv[1].replace(/^[-+]+/, '');
    return generate(t, [argv[0], ...argv.slice(2)], optstring, undefined, { quote: false, tcsh: false, longOnly: false, quiet: false, quietOutput: false });
  }
  const p = t.parse({
    short: 'o:n:qQs:Tual:',
    long: { options: 'o:', longoptions: 'l:', quiet: 'q', 'quiet-output': 'Q', shell: 's:', test: 'T', unquoted: 'u', alternative: 'a', name: 'n:' },
    stopAtOperand: true,
  });
  let longopts: LongOpt[] | undefined;
  try {
    for (const l of p.values('l')) longopts = addLongOptions(longopts ?? [], l);
  } catch (err) {
    if (err instanceof EmptyLong) return t.die('empty long option specified');
    throw err;
  }
  let tcsh = false;
  if (p.has('s')) {
    const shell = p.value('s')!;
    if (shell === 'tcsh' || shell === 'csh') tcsh = true;
    else if (shell !== 'bash' && shell !== 'sh') await t.error(`unknown shell '${shell}', assuming bash`);
  }
  if (p.has('T')) return 4;
  const operands = [...p.operands];
  let optstring = p.value('o');
  if (optstring === undefined) {
    optstring = operands.shift();
    if (optstring === undefined) return t.die('missing optstring argument');
  }
  const name = p.value('n') ?? argv[0];
  return generate(t, [name, ...operands], optstring, longopts, { quote: !p.has('u'), tcsh, longOnly: p.has('a'), quiet: p.has('q'), quietOutput: p.has('Q') });
});

interface Output {
  quote: boolean;
  tcsh: boolean;
  longOnly: boolean;
  quiet: boolean;
  quietOutput: boolean;
}

// generate_output: each option as found, then " --" and the operands.
async function generate(t: Tool, argv: string[], optstring: string, longopts: LongOpt[] | undefined, o: Output): Promise<number> {
  const g = new GnuGetopt(argv, optstring, longopts, o.longOnly, o.quiet, t.ctx.env.POSIXLY_CORRECT !== undefined, (msg) => t.ctx.stderr.write(msg));
  const q = (s: string) => (o.quote ? normalize(s, o.tcsh) : s);
  let out = '';
  let status = 0;
  for (let f = await g.next(); f; f = await g.next()) {
    if (f.kind === 'error') {
      status = 1;
      continue;
    }
    if (f.kind === 'long') out += ` --${f.opt.name}${f.opt.hasArg ? ` ${q(f.arg ?? '')}` : ''}`;
    else if (f.kind === 'nonopt') out += ` ${q(f.arg)}`;
    else out += ` -${f.c}${optstring[optstring.indexOf(f.c) + 1] === ':' ? ` ${q(f.arg ?? '')}` : ''}`;
  }
  if (!o.quietOutput) await t.out.text(`${out} --${g.rest.map((a) => ` ${q(a)}`).join('')}\n`);
  return status;
}

// normalize: in single quotes, a quote as '\''; tcsh's ! and white space
// too, and its newline as \n.
function normalize(arg: string, tcsh: boolean): string {
  let s = "'";
  for (const c of arg) {
    if (tcsh && c === '\n') s += '\\n';
    else if ((tcsh && (c === '!' || /\s/.test(c))) || c === "'") s += `'\\${c}'`;
    else s += c;
  }
  return `${s}'`;
}
