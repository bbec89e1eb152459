// Command-line options as busybox's getopt32 reads them (over glibc's
// getopt_long): clustered short options (-la), arguments attached or next
// (-n5, -n 5), long options with unambiguous prefixes (--recur), `--` ends
// the options, and options may follow operands unless the applet stops at
// the first one (getopt32's leading '+').

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptSpec {
  // Short options, getopt style: "ab:c" (b takes an argument), "i::" (an
  // optional one, only attached).
  short?: string;
  // Long name → key ("recursive": "r"); a trailing ":" on the key means it
  // takes an argument, "::" an optional one (only as --name=value).
  long?: Record<string, string>;
  // Options end at the first operand (env, xargs, nice, timeout).
  stopAtOperand?: boolean;
  // glibc's getopt() with no long options at all (head): "--lines" is the
  // option '-', "invalid option -- '-'", not an unrecognized long option.
  plainGetopt?: boolean;
}

export interface Parsed {
  readonly operands: string[];
  // Options seen, in order, with their argument if any.
  readonly seen: { key: string; value?: string }[];
  has(key: string): boolean;
  count(key: string): number;
  value(key: string): string | undefined; // the last one
  values(key: string): string[];
}

export function parseArgs(args: readonly string[], spec: OptSpec): Parsed {
  // Short option → 'no' | 'required' | 'optional' (only attached: -i.bak).
  const shortArg = new Map<string, 'no' | 'required' | 'optional'>();
  const s = spec.short ?? '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === ':') continue;
    shortArg.set(c, s[i + 1] !== ':' ? 'no' : s[i + 2] === ':' ? 'optional' : 'required');
  }
  const longs = new Map<string, { key: string; arg: 'no' | 'required' | 'optional' }>();
  for (const [name, key] of Object.entries(spec.long ?? {})) {
    if (key.endsWith('::')) longs.set(name, { key: key.slice(0, -2), arg: 'optional' });
    else if (key.endsWith(':')) longs.set(name, { key: key.slice(0, -1), arg: 'required' });
    else longs.set(name, { key, arg: 'no' });
  }

  const operands: string[] = [];
  const seen: { key: string; value?: string }[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--') && longs.size > 0) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      let opt = longs.get(name);
      if (!opt) {
        const matches = [...longs.keys()].filter((n) => n.startsWith(name));
        const keys = new Set(matches.map((m) => longs.get(m)!.key));
        if (matches.length > 0 && keys.size === 1) opt = longs.get(matches[0]);
        else if (matches.length > 1) throw new UsageError(`option '${a}' is ambiguous`);
        else throw new UsageError(`unrecognized option '${a}'`);
      }
      if (opt!.arg === 'no') {
        if (eq >= 0) throw new UsageError(`option '--${name}' doesn't allow an argument`);
        seen.push({ key: opt!.key });
      } else if (eq >= 0) seen.push({ key: opt!.key, value: a.slice(eq + 1) });
      else if (opt!.arg === 'optional') seen.push({ key: opt!.key });
      else {
        if (i + 1 >= args.length) throw new UsageError(`option '--${name}' requires an argument`);
        seen.push({ key: opt!.key, value: args[++i] });
      }
      continue;
    }
    if (a.length > 1 && a[0] === '-') {
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        const takes = shortArg.get(c);
        if (takes === undefined) {
          if (a.startsWith('--') && !spec.plainGetopt) throw new UsageError(`unrecognized option '${a}'`);
          throw new UsageError(`invalid option -- '${c}'`);
        }
        if (takes === 'no') {
          seen.push({ key: c });
          continue;
        }
        if (j + 1 < a.length) seen.push({ key: c, value: a.slice(j + 1) });
        else if (takes === 'optional') seen.push({ key: c });
        else if (i + 1 < args.length) seen.push({ key: c, value: args[++i] });
        else throw new UsageError(`option requires an argument -- '${c}'`);
        break;
      }
      continue;
    }
    if (spec.stopAtOperand) break;
    operands.push(a);
  }
  operands.push(...args.slice(i));

  return {
    operands,
    seen,
    has: (k) => seen.some((o) => o.key === k),
    count: (k) => seen.filter((o) => o.key === k).length,
    value: (k) => {
      for (let n = seen.length - 1; n >= 0; n--) if (seen[n].key === k) return seen[n].value;
      return undefined;
    },
    values: (k) => seen.filter((o) => o.key === k).map((o) => o.value ?? ''),
  };
}
