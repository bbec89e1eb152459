import { isFsError } from '../rootfs/types';
import { AwkRuntimeError, Awk } from './awk/interp';
import { AwkSyntaxError, parseAwk } from './awk/parse';
import { type Tool, applet, toBin } from './common/tool';

// awk [-F SEP] [-v VAR=VAL]... [-f FILE | PROGRAM] [FILE | VAR=VAL]...

export const awk = applet(async (t) => {
  const p = t.parse({ short: 'F:v:f:e:W:', stopAtOperand: true });
  let ops = p.operands;
  let src: string;
  let srcName = 'cmd. line';
  const files = p.values('f');
  if (files.length || p.has('e')) {
    const pieces: string[] = [];
    for (const f of files) {
      const text = await readProgram(t, f);
      if (text === undefined) return 1;
      pieces.push(text);
      srcName = f;
    }
    pieces.push(...p.values('e').map(toBin));
    src = pieces.join('\n');
  } else {
    if (ops.length === 0) return t.usage();
    src = toBin(ops[0]);
    ops = ops.slice(1);
  }
  let prog;
  try {
    prog = parseAwk(src);
  } catch (err) {
    if (err instanceof AwkSyntaxError) return t.die(`${srcName}:${err.line}: ${err.message}`);
    throw err;
  }
  const vm = new Awk(t, prog, ['awk', ...ops.map(toBin)], srcName);
  if (p.has('F')) {
    let fs = toBin(p.value('F')!);
    if (fs === 't') fs = '\t';
    vm.assign('FS', fs.replace(/\\/g, '\\\\'));
  }
  for (const a of p.values('v')) {
    const eq = a.indexOf('=');
    if (eq <= 0) return t.die(`invalid -v argument '${a}'`);
    vm.assign(toBin(a.slice(0, eq)), toBin(a.slice(eq + 1)));
  }
  try {
    return await vm.run((a) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(a));
  } catch (err) {
    if (err instanceof AwkRuntimeError) return t.die(err.message);
    throw err;
  }
});

async function readProgram(t: Tool, name: string): Promise<string | undefined> {
  try {
    const input = t.input(name);
    try {
      return await input.all();
    } finally {
      input.close();
    }
  } catch (err) {
    if (!isFsError(err)) throw err;
    await t.error(`can't open '${name}': ${err.message}`);
    return undefined;
  }
}
