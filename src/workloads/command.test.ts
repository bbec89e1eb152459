import { describe, expect, it } from 'vitest';
import { containerArgv, interpretable, runProgram } from './command';
import { execCommand } from './exec';

function run(argv: string[], opts: { startedMs?: number; replayUntilMs?: number; signal?: AbortSignal } = {}) {
  const lines: string[] = [];
  const done = runProgram(argv, {
    startedMs: opts.startedMs ?? Date.now(),
    replayUntilMs: opts.replayUntilMs,
    files: {},
    mounts: [],
    hostname: 'web-0',
    signal: opts.signal ?? new AbortController().signal,
    line: (stream, text) => lines.push(`${stream} ${text}`),
  });
  return { lines, done };
}

describe("a container's own command", () => {
  it('takes command then args', () => {
    expect(containerArgv({ command: ['sh', '-c'], args: ['echo hi'] })).toEqual(['sh', '-c', 'echo hi']);
    expect(containerArgv({})).toEqual([]);
  });

  it.each([
    [['echo', 'hello'], true],
    [['sh', '-c', 'echo hello; exit 3'], true],
    [['sleep', '10'], true],
    [['sh', '-c', 'while true; do echo hello World; sleep 1; done'], true],
    [['top'], false],
    [['sh', '-c', 'top'], false],
    [['sleep', 'infinity'], false],
    [['/pause'], false],
    [['nginx', '-g', 'daemon off;'], false],
    [['sh', '-c', '/app/server --port 80'], false],
    [[], false],
  ])('%j interpreted: %s', (argv, want) => {
    expect(interpretable(argv)).toBe(want);
  });

  it('writes its output line by line and exits with its code', async () => {
    const { lines, done } = run(['sh', '-c', 'echo hello; echo -n oops; exit 3']);
    expect(await done).toBe(3);
    expect(lines).toEqual(['stdout hello', 'stdout oops']);
  });

  it('sleeps for real, then exits', async () => {
    const t = Date.now();
    const { done } = run(['sleep', '0.2']);
    expect(await done).toBe(0);
    expect(Date.now() - t).toBeGreaterThanOrEqual(190);
  });

  it('loops until stopped, a line per iteration', async () => {
    const ac = new AbortController();
    const { lines, done } = run(['sh', '-c', 'while true; do echo tick; sleep 0.05; done'], { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 180));
    ac.abort(new Error('stopped'));
    await expect(done).rejects.toThrow('stopped');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(new Set(lines)).toEqual(new Set(['stdout tick']));
  });

  it('a loop without sleep does not block the event loop', async () => {
    const ac = new AbortController();
    const { lines, done } = run(['sh', '-c', 'while :; do echo spin; done'], { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 100));
    ac.abort(new Error('stopped'));
    await expect(done).rejects.toThrow('stopped');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(50);
  });

  it('unknown commands run until stopped', async () => {
    const ac = new AbortController();
    const { lines, done } = run(['sh', '-c', 'echo starting; /app/server; echo never'], { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 50));
    ac.abort(new Error('stopped'));
    await expect(done).rejects.toThrow('stopped');
    expect(lines).toEqual(['stdout starting']);
  });

  it('replayed after a restart: counted from its start, without writing again', async () => {
    const started = Date.now() - 10_000;
    const { lines, done } = run(['sh', '-c', 'echo before; sleep 9; echo during; sleep 1.2; echo after; exit 4'], { startedMs: started, replayUntilMs: Date.now() });
    const t = Date.now();
    expect(await done).toBe(4);
    expect(Date.now() - t).toBeLessThan(1000);
    expect(lines).toEqual(['stdout after']);
  });

  it('if, until, ! and newlines', async () => {
    const { lines, done } = run(['sh', '-c', 'if [ ! -f /nope ]; then echo absent; else echo present; fi\nuntil true; do echo never; done\n! false && hostname']);
    expect(await done).toBe(0);
    expect(lines).toEqual(['stdout absent', 'stdout web-0']);
  });
});

describe('ExecSync keeps the shell answers', () => {
  const env = { files: {}, mounts: [], signal: new AbortController().signal };
  it.each([
    [['sh', '-c', 'pgrep sleep || true'], 0, '', ''],
    [['sh', '-c', 'while false; do echo x; done; echo end'], 0, 'end\n', ''],
    [['sh', '-c', 'if true; then'], 2, '', "sh: syntax error near unexpected token `end of file'\n"],
    [['sleep', 'abc'], 1, '', "sleep: invalid time interval 'abc'\n"],
    [['nosuch'], 127, '', 'sh: nosuch: command not found\n'],
    [['sh', '-c', 'echo a >&2; echo b >/dev/null; cat /nope 2>/dev/null; cat /nope 2>&1'], 1, 'cat: /nope: No such file or directory\n', 'a\n'],
  ])('%j → %i', async (cmd, code, stdout, stderr) => {
    expect(await execCommand(cmd, env)).toEqual({ exitCode: code, stdout, stderr });
  });
});

describe('id and $(…)', () => {
  const identity = { uid: 1001, gid: 1002, groups: [1234, 5678] };
  const env = { files: {}, mounts: [], signal: new AbortController().signal, identity };
  it.each([
    [['id', '-u'], 0, '1001\n', ''],
    [['id', '-G'], 0, '1002 1234 5678\n', ''],
    [['sh', '-c', 'echo $(id -u):$(id -g)'], 0, '1001:1002\n', ''],
    [['sh', '-c', 'echo "x"$(echo a; echo b)y'], 0, 'xa\nby\n', ''],
    [['id', '-nu'], 1, '', 'id: cannot find name for user ID 1001\n'],
  ])('%j → %i', async (cmd, code, stdout, stderr) => {
    expect(await execCommand(cmd, env)).toEqual({ exitCode: code, stdout, stderr });
  });
  it('root by default, and a user name when given', async () => {
    expect((await execCommand(['id'], { ...env, identity: undefined })).stdout).toBe('uid=0(root) gid=0(root) groups=0(root)\n');
    expect((await execCommand(['id', '-nu'], { ...env, identity: { ...identity, user: 'nobody' } })).stdout).toBe('nobody\n');
  });
});
