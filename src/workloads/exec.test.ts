import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execCommand } from './exec';

describe('the ExecSync interpreter', () => {
  const host = mkdtempSync(join(tmpdir(), 'fakecri-exec-'));
  mkdirSync(join(host, 'sub'));
  writeFileSync(join(host, 'data.txt'), 'from the volume\n');
  afterAll(() => rmSync(host, { recursive: true, force: true }));
  const env = (signal = new AbortController().signal) => ({
    files: { '/tmp/healthy': 'ok\n', '/etc/app/config': 'x=1\n' },
    mounts: [{ container_path: '/data', host_path: host }],
    signal,
  });
  const run = (cmd: string[]) => execCommand(cmd, env());

  it.each([
    [['true'], 0, '', ''],
    [['false'], 1, '', ''],
    [['echo', 'hello', 'world'], 0, 'hello world\n', ''],
    [['/bin/echo', '-n', 'x'], 0, 'x', ''],
    [['cat', '/tmp/healthy'], 0, 'ok\n', ''],
    [['cat', '/data/data.txt'], 0, 'from the volume\n', ''],
    [['cat', '/nope'], 1, '', 'cat: /nope: No such file or directory\n'],
    [['test', '-f', '/tmp/healthy'], 0, '', ''],
    [['test', '-e', '/data/sub'], 0, '', ''],
    [['test', '-f', '/data/sub'], 1, '', ''],
    [['test', '-d', '/etc/app'], 0, '', ''],
    [['[', '-f', '/missing', ']'], 1, '', ''],
    [['ls', '/data'], 0, 'data.txt\nsub\n', ''],
    [['ls', '/etc'], 0, 'app\n', ''],
    [['ls', '/nope'], 2, '', "ls: cannot access '/nope': No such file or directory\n"],
    [['curl', 'http://x'], 127, '', 'sh: curl: command not found\n'],
    [['sh', '-c', 'exit 3'], 3, '', ''],
    [['sh', '-c', 'true && echo yes || echo no'], 0, 'yes\n', ''],
    [['sh', '-c', 'false && echo yes || echo no'], 0, 'no\n', ''],
    [['/bin/sh', '-c', "echo 'a b'; false; echo \"c\""], 0, 'a b\nc\n', ''],
    [['sh', '-c', 'test -f /tmp/healthy && exit 0 || exit 1'], 0, '', ''],
    [['sh', '-c', 'cat /nope || exit 7; echo never'], 7, '', 'cat: /nope: No such file or directory\n'],
    [['sh', '-c', 'nosuch; echo after'], 0, 'after\n', 'sh: nosuch: command not found\n'],
    [['sh', '-c', 'echo "unterminated'], 2, '', 'sh: unterminated quoted string\n'],
    [['sh', '-c', '&& true'], 2, '', "sh: syntax error near unexpected token `&&'\n"],
  ])('%j → %i', async (cmd, code, stdout, stderr) => {
    expect(await run(cmd)).toEqual({ exitCode: code, stdout, stderr });
  });

  it('cannot read outside a mount with ..', async () => {
    expect((await run(['cat', '/data/../../etc/passwd'])).exitCode).toBe(1);
  });

  it('sleep is cut short by the signal', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('timeout')), 50);
    const t = Date.now();
    await expect(execCommand(['sleep', '5'], env(ac.signal))).rejects.toThrow('timeout');
    expect(Date.now() - t).toBeLessThan(1000);
  });
});
