import { describe, expect, it } from 'vitest';
import { applets } from './index';
import { memoryContainer } from './test-context';

const setup = () => memoryContainer(applets);
const awk = async (prog: string, input = '', ...rest: string[]) => setup().container.exec(['awk', ...rest, prog], { input, env: { PATH: '/bin', HOME: '/root' } });

describe('awk', () => {
  it('prints fields, counts records, and runs BEGIN and END', async () => {
    expect((await awk('{ print $2 }', 'a b c\nd e f\n')).stdout).toBe('b\ne\n');
    expect((await awk('{ print $NF, NF }', 'a b c\n')).stdout).toBe('c 3\n');
    expect((await awk('END { print NR }', 'a\nb\nc\n')).stdout).toBe('3\n');
    expect((await awk('BEGIN { x = 1; print x + 1 }')).stdout).toBe('2\n');
    expect((await awk('/b/', 'abc\nxyz\nbb\n')).stdout).toBe('abc\nbb\n');
    expect((await awk('NR==2, NR==3 { print }', '1\n2\n3\n4\n')).stdout).toBe('2\n3\n');
    expect((await awk('$1 > 5', '3\n10\n7\n')).stdout).toBe('10\n7\n');
    expect((await awk('$1 == "10"', '10\n10.0\n')).stdout).toBe('10\n');
    expect((await awk('$1 == 10', '10\n10.0\n')).stdout).toBe('10\n10.0\n');
  });

  // awk.c: systime, strftime and mktime (B_ti, B_mt), local time being
  // UTC in a container; print writes each value as it goes and flushes.
  it("has busybox's time functions; print's values before an error are out", async () => {
    expect((await awk('BEGIN { print strftime("%Y-%m-%d %H:%M:%S", 0, 1), strftime("%Y", 86400 * 366) }')).stdout).toBe('1970-01-01 00:00:00 1971\n');
    expect((await awk('BEGIN { print mktime("2020 01 02 03 04 05"), mktime("1800 1 1 0 0 0"), mktime("2020 0 1 0 0 0"), mktime("junk"), mktime("2020 13 40 25 61 61") }')).stdout).toBe(
      '1577934245 -1 -1 -1 1612922521\n',
    );
    expect((await awk('BEGIN { t = systime(); print (t > 1700000000), length(strftime()) }')).stdout).toBe('1 28\n');
    expect(await awk('BEGIN { print systime(1) }')).toMatchObject({ status: 1, stderr: 'awk: cmd. line:1: Too many arguments\n' });
    expect(await awk('BEGIN { print 1e3, 0.1 + 0.2, 100000000000000000000, 1 / 0 }')).toMatchObject({ status: 1, stdout: '1000 0.3 1e+20 ', stderr: 'awk: cmd. line:1: Division by zero\n' });
  });

  it('takes -F, -v, FS and OFS; assigning a field rebuilds the record', async () => {
    expect((await awk('{ print $2 }', 'a:b:c\n', '-F', ':')).stdout).toBe('b\n');
    expect((await awk('{ print v, $1 }', 'x\n', '-v', 'v=hi')).stdout).toBe('hi x\n');
    expect((await awk('BEGIN { FS = "," ; OFS = "-" } { $2 = "Z"; print }', 'a,b,c\n')).stdout).toBe('a-Z-c\n');
    expect((await awk('{ NF = 2; print }', 'a b c\n')).stdout).toBe('a b\n');
    expect((await awk('{ $5 = "e"; print; print NF }', 'a b\n')).stdout).toBe('a b   e\n5\n');
    expect((await awk('BEGIN { FS = "[0-9]+" } { print $2 }', 'a12b3c\n')).stdout).toBe('b\n');
  });

  // busybox 1.37's awk.c: a string becomes a number through strtod, which
  // in glibc reads hex (since 1.36 never octal); a constant in the program
  // may be hex or octal (my_strtod_or_hexoct). index() finds "" nowhere.
  it('numbers from strings, hex and octal constants, index of ""', async () => {
    expect((await awk('BEGIN { x = "0x10"; print x + 0, -x, "+0x8" + 1, " 0xff" + 0, "0x.8" + 0, "0x1.8p1" + 0, "0xg" + 0, "010" + 0, "1e3x" + 0 }')).stdout).toBe('16 -16 9 255 0.5 3 0 10 1000\n');
    expect((await awk('{ print $1 + 0, $2 * 2 }', '0x11 011\n')).stdout).toBe('17 22\n');
    expect((await awk('BEGIN { print 0x10, 010, 011 + 0, 0x1F + 1, 09.5, 019, 00 }')).stdout).toBe('16 8 9 32 9.5 19 0\n');
    expect((await awk('BEGIN { print index("", ""), index("abc", ""), index("", "a"), index("abc", "c") }')).stdout).toBe('0 0 0 3\n');
  });

  // busybox's awk_getline: the last paragraph ends at the data's end, so it
  // keeps one trailing newline; two or more end it as between paragraphs.
  it('RS="" reads paragraphs as busybox does', async () => {
    expect((await awk('BEGIN { RS = "" } { print NR ": " $0 "|" NF }', 'l1\nl2\n')).stdout).toBe('1: l1\nl2\n|2\n');
    expect((await awk('BEGIN { RS = "" } { print NR ": " $0 "|" }', '\n\na\nb\n\n\nc')).stdout).toBe('1: a\nb|\n2: c|\n');
    expect((await awk('BEGIN { RS = "" } { print NR ": " $0 "|" }', 'a\n\nb\n\n')).stdout).toBe('1: a|\n2: b|\n');
  });

  it('has arrays, loops, functions and string builtins', async () => {
    const words = 'b a b c a b\n';
    const r = await awk('{ for (i = 1; i <= NF; i++) n[$i]++ } END { for (k in n) print k, n[k] | "sort" }', words);
    expect(r.stdout).toBe('a 2\nb 3\nc 1\n');
    expect((await awk('function f(x) { return x * 2 } BEGIN { print f(21) }')).stdout).toBe('42\n');
    expect((await awk('function fill(a) { a["k"] = 1 } BEGIN { fill(arr); print arr["k"] }')).stdout).toBe('1\n');
    expect((await awk('BEGIN { s = "hello world"; print length(s), substr(s, 2, 3), index(s, "wor"), toupper(s) }')).stdout).toBe('11 ell 7 HELLO WORLD\n');
    // busybox's substr, not gawk's: the start clamped, the length kept.
    expect((await awk('BEGIN { print substr("abc",0,2) "|" substr("abc",-1,3) "|" substr("abc",1.7,1) "|" substr("abc",5) }')).stdout).toBe('ab|abc|a|\n');
    expect((await awk('BEGIN { n = split("a:b:c", p, ":"); print n, p[3] }')).stdout).toBe('3 c\n');
    expect((await awk('{ gsub(/o/, "0"); print; sub(/l+/, "[&]"); print }', 'foo lol\n')).stdout).toBe('f00 l0l\nf00 [l]0l\n');
    expect((await awk('BEGIN { if (match("abcdef", /cd+/)) print RSTART, RLENGTH }')).stdout).toBe('3 2\n');
    expect((await awk('BEGIN { printf "%5.2f|%-4s|%03d|%x|%c\\n", 3.14159, "ab", 7, 255, 65 }')).stdout).toBe(' 3.14|ab  |007|ff|A\n');
    expect((await awk('BEGIN { x = sprintf("%s-%d", "a", 3.9); print x }')).stdout).toBe('a-3\n');
    expect((await awk('BEGIN { print 1/3 }')).stdout).toBe('0.333333\n');
    expect((await awk('BEGIN { print 2^10, 7 % 3, int(-3.7) }')).stdout).toBe('1024 1 -3\n');
    expect((await awk('BEGIN { i = 0; while (i < 3) { i++; if (i == 2) continue; print i } }')).stdout).toBe('1\n3\n');
    expect((await awk('BEGIN { do { i++ } while (i < 5); print i }')).stdout).toBe('5\n');
    expect((await awk('BEGIN { a["x"]; delete a["x"]; print length(a), ("x" in a) }')).stdout).toBe('0 0\n');
    expect((await awk('BEGIN { print (1 < 2) ? "yes" : "no" }')).stdout).toBe('yes\n');
  });

  it('next, exit with a status, getline and system', async () => {
    expect((await awk('NR == 1 { next } { print }', 'a\nb\n')).stdout).toBe('b\n');
    expect(await awk('{ exit 3 } END { print "end" }', 'a\n')).toMatchObject({ status: 3, stdout: 'end\n' });
    expect((await awk('BEGIN { while (("echo x; echo y" | getline line) > 0) print "got", line }')).stdout).toBe('got x\ngot y\n');
    expect((await awk('NR == 1 { getline; print "now", $0 }', 'a\nb\n')).stdout).toBe('now b\n');
    expect((await awk('BEGIN { r = system("exit 3"); print r }')).stdout).toBe('3\n');
    expect((await awk('BEGIN { while ((getline l < "/etc/group") > 0) n++; print n }')).stdout).toBe('2\n');
  });

  it('writes to files and reads several inputs', async () => {
    const { container: c } = setup();
    await c.exec(['awk', '{ print $1 > "/tmp/out" }'], { input: 'x y\nz w\n' });
    expect((await c.exec(['cat', '/tmp/out'])).stdout).toBe('x\nz\n');
    expect((await c.exec(['awk', '{ print FILENAME, FNR }', '/etc/group', '/tmp/out'])).stdout).toBe('/etc/group 1\n/etc/group 2\n/tmp/out 1\n/tmp/out 2\n');
    expect((await c.exec(['awk', '{ print v $0 }', 'v=1:', '/tmp/out', 'v=2:', '/tmp/out'])).stdout).toBe('1:x\n1:z\n2:x\n2:z\n');
  });

  it('says what is wrong with a program', async () => {
    expect(await awk('BEGIN { print (1 }')).toMatchObject({ status: 1, stderr: 'awk: cmd. line:1: Unexpected token\n' });
    expect(await awk('BEGIN { print 1/0 }')).toMatchObject({ status: 1, stderr: 'awk: cmd. line:1: Division by zero\n' });
    expect(await awk('BEGIN { printf "%*d", 5, 3 }')).toMatchObject({ status: 1, stderr: 'awk: cmd. line:1: %*x formats are not supported\n' });
    expect(await awk('BEGIN { f() }')).toMatchObject({ status: 1, stderr: 'awk: cmd. line:1: Call to undefined function\n' });
  });
});
