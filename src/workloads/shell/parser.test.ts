import { describe, expect, it } from 'vitest';
import { ArithError, arith } from './arith';
import { parseCached, parseStats } from './cache';
import { parseLine, parseScript } from './parser';
import { matchPattern, replacePattern, trimPrefix, trimSuffix } from './pattern';

describe('parser', () => {
  it('parses a line into a tree of plain words and commands', () => {
    const s = parseScript("a=1 b=\"x $y\" cmd arg 'q' 2>&1 >out &\n");
    expect(s.error).toBeUndefined();
    expect(s.lines).toHaveLength(1);
    const bg = s.lines[0].node!;
    expect(bg.t).toBe('bg');
    if (bg.t !== 'bg' || bg.body.t !== 'simple') throw new Error('shape');
    expect(bg.text).toBe('a=1 b="x $y" cmd arg \'q\' 2>&1 >out');
    const cmd = bg.body;
    expect(cmd.assigns.map((a) => a.name)).toEqual(['a', 'b']);
    expect(cmd.words.map((w) => w.lit)).toEqual(['cmd', 'arg', undefined]);
    expect(cmd.redirs.map((r) => [r.fd, r.op, r.target.lit])).toEqual([
      [2, '>&', '1'],
      [-1, '>', 'out'],
    ]);
  });

  it('keeps the lines before a syntax error, as ash runs them before it', () => {
    const s = parseScript('echo one\necho two\nfi\necho never\n');
    expect(s.lines.map((l) => l.node?.t)).toEqual(['simple', 'simple']);
    expect(s.error).toEqual({ message: 'syntax error: unexpected "fi"', line: 3, atEof: false });
  });

  it('reads here-documents after the line, in order', () => {
    const s = parseScript('cat <<A <<-B; echo x\nbody $v\nA\n\tstripped\n\tB\necho after\n');
    expect(s.lines).toHaveLength(2);
    const n = s.lines[0].node!;
    if (n.t !== 'seq' || n.list[0].t !== 'simple') throw new Error('shape');
    const [a, b] = n.list[0].redirs;
    expect(a.target.parts[0].t).toBe('dq');
    expect(b.target).toEqual({ parts: [{ t: 'dq', parts: [{ t: 'q', s: 'stripped\n' }] }] });
    expect(s.lines[1].node).toMatchObject({ t: 'simple', line: 6 });
  });

  it('passes && and || inside [[ ]] as words; knows bash\'s function keyword', () => {
    const s = parseScript('[[ $a = 1 && $b ]] || echo no\nfunction f { :; }\n');
    const n = s.lines[0].node!;
    if (n.t !== 'or' || n.left.t !== 'simple') throw new Error('shape');
    expect(n.left.words.map((w) => w.lit)).toEqual(['[[', undefined, '=', '1', '&&', undefined, ']]']);
    expect(s.lines[1].node).toMatchObject({ t: 'func', name: 'f' });
    expect(parseScript('function').error?.message).toBe('syntax error: unexpected end of file (expecting word)');
  });

  it('tells an incomplete line from a wrong one', () => {
    expect(parseLine('if true; then\n', 1)).toMatchObject({ error: { atEof: true } });
    expect(parseLine('echo "open\n', 1)).toMatchObject({ error: { atEof: true } });
    expect(parseLine('echo a )\n', 1)).toMatchObject({ error: { atEof: false } });
    expect(parseLine('echo a\necho b\n', 1)).toMatchObject({ end: 7, nextLine: 2 });
  });

  it('bounds nesting instead of overflowing the stack', () => {
    const deep = '('.repeat(5000) + 'true' + ')'.repeat(5000);
    expect(parseScript(deep).error?.message).toBe('syntax error: nesting too deep');
    const subst = '$('.repeat(3000) + ')'.repeat(3000);
    expect(parseScript(`echo ${subst}`).error?.message).toBe('syntax error: nesting too deep');
  });

  it('caches by text: the same script parses once and shares its tree', () => {
    const text = `echo cached-${Math.random()}`;
    const before = parseStats().parses;
    const a = parseCached(text);
    for (let i = 0; i < 1000; i++) expect(parseCached(text)).toBe(a);
    expect(parseStats().parses).toBe(before + 1);
  });
});

describe('arithmetic', () => {
  const run = (e: string, init: Record<string, string> = {}) => {
    const vars = new Map(Object.entries(init));
    const v = arith(e, { get: (n) => vars.get(n), set: (n, x) => vars.set(n, x) });
    return { v: v.toString(), vars: Object.fromEntries(vars) };
  };

  it('follows C precedence and 64-bit wrapping', () => {
    expect(run('1 + 2 * 3 - 4 / 2').v).toBe('5');
    expect(run('(1 + 2) * 3 % 4').v).toBe('1');
    expect(run('2 ** 3 ** 2').v).toBe('512');
    expect(run('-2 ** 2').v).toBe('4');
    expect(run('1 << 62 << 1').v).toBe('-9223372036854775808');
    expect(run('9223372036854775807 + 1').v).toBe('-9223372036854775808');
    expect(run('-7 / 2').v).toBe('-3');
    expect(run('-7 % 2').v).toBe('-1');
    expect(run('5 > 3 && 2 < 1 || !0').v).toBe('1');
    expect(run('6 & 3 | 8 ^ 1').v).toBe('11');
    expect(run('~5').v).toBe('-6');
    expect(run('1 ? 2 : 3 ? 4 : 5').v).toBe('2');
    expect(run('0 ? 2 : 0 ? 4 : 5').v).toBe('5');
    expect(run('1, 2, 3').v).toBe('3');
    expect(run('').v).toBe('0');
  });

  it('reads constants in every base', () => {
    expect(run('0x1F + 017 + 2#1010 + 16#ff + 36#Z + 64#_').v).toBe(String(31 + 15 + 10 + 255 + 35 + 63));
  });

  it('uses and assigns variables by name', () => {
    expect(run('x = y + 1', { y: '41' })).toEqual({ v: '42', vars: { x: '42', y: '41' } });
    expect(run('x++ + ++x', { x: '1' })).toEqual({ v: '4', vars: { x: '3' } });
    expect(run('x -= 2, x *= 3, x <<= 1, x |= 1', { x: '5' }).vars.x).toBe('19');
    expect(run('a', { a: 'b + 1', b: '2' }).v).toBe('3');
    expect(run('unset + 1').v).toBe('1');
    // Branches not taken have no effects and no errors.
    expect(run('0 && (x = 1 / 0)', {})).toEqual({ v: '0', vars: {} });
    expect(run('1 ? y = 2 : (z = 3)', {}).vars).toEqual({ y: '2' });
  });

  it('fails with ash\'s messages', () => {
    const msg = (e: string, vars: Record<string, string> = {}) => {
      try {
        run(e, vars);
        return 'no error';
      } catch (err) {
        if (!(err instanceof ArithError)) throw err;
        return err.message;
      }
    };
    expect(msg('1 / 0')).toBe('divide by zero');
    expect(msg('2 ** -1')).toBe('exponent less than 0');
    expect(msg('1 +')).toBe('arithmetic syntax error');
    expect(msg('09')).toBe('arithmetic syntax error');
    expect(msg('3 = 4')).toBe('arithmetic syntax error');
    expect(msg('1 ? 2')).toBe('malformed ?: operator');
    expect(msg('a', { a: 'b', b: 'a' })).toBe('expression recursion loop detected');
    expect(msg('('.repeat(10000) + '1' + ')'.repeat(10000))).toBe('arithmetic syntax error');
  });
});

describe('patterns', () => {
  it('matches as case and fnmatch do', () => {
    expect(matchPattern('a*c', 'abbc')).toBe(true);
    expect(matchPattern('a?c', 'abbc')).toBe(false);
    expect(matchPattern('[!a-c]x', 'dx')).toBe(true);
    expect(matchPattern('[[:digit:]]*', '7up')).toBe(true);
    expect(matchPattern('a\\*', 'a*')).toBe(true);
    expect(matchPattern('a\\*', 'ab')).toBe(false);
    expect(matchPattern('[]]', ']')).toBe(true);
    expect(matchPattern('[', '[')).toBe(true);
    expect(matchPattern('*.(x)', 'a.(x)')).toBe(true);
  });

  it('trims the shortest and longest prefix and suffix; replaces the longest match', () => {
    expect(trimPrefix('a/b/c', '*/', false)).toBe('b/c');
    expect(trimPrefix('a/b/c', '*/', true)).toBe('c');
    expect(trimSuffix('a.b.c', '.*', false)).toBe('a.b');
    expect(trimSuffix('a.b.c', '.*', true)).toBe('a');
    expect(replacePattern('aXbXc', 'X*', '-', false)).toBe('a-');
    expect(replacePattern('a.b.c', '.', '/', true)).toBe('a/b/c');
    expect(replacePattern('abc', 'z*', '-', true)).toBe('abc');
  });
});
