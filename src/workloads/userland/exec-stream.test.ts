import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakecriError } from '../../domain/errors';
import { until } from '../../test/wait';
import { type Pod, client, makePod } from './streams-testkit';

describe('Programs.execStream', () => {
  let pod: Pod;
  beforeEach(() => {
    pod = makePod();
  });
  afterEach(() => pod.close());

  it('runs beside the program with stdout, stderr and the exit code', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'], envs: [{ key: 'GREETING', value: 'hi' }] });
    const cl = client({ stdin: false });
    const status = await pod.programs.execStream(c, ['sh', '-c', 'echo $GREETING; echo oops >&2; exit 3'], cl.io);
    expect(status).toBe(3);
    expect(cl.stdout.text).toBe('hi\n');
    expect(cl.stderr.text).toBe('oops\n');
  });

  it('cat echoes stdin as it comes and ends when the client closes stdin', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'] });
    const cl = client();
    const done = pod.programs.execStream(c, ['cat'], cl.io);
    cl.stdin.write('one\n');
    await until('the first line back', () => cl.stdout.text === 'one\n');
    cl.stdin.write('two\n');
    await until('the second line back', () => cl.stdout.text === 'one\ntwo\n');
    cl.stdin.end();
    expect(await done).toBe(0);
  });

  it('reads large input in chunks with backpressure', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'] });
    const cl = client();
    const done = pod.programs.execStream(c, ['wc', '-c'], cl.io);
    const block = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 64; i++) if (!cl.stdin.write(block)) await new Promise((r) => cl.stdin.once('drain', r));
    cl.stdin.end();
    expect(await done).toBe(0);
    expect(cl.stdout.text.trim()).toBe(String(64 * 64 * 1024));
  });

  it('the client going kills the command and what it started', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'] });
    const cl = client();
    const done = pod.programs.execStream(c, ['sh', '-c', 'sleep 1000 & sleep 2000; echo never'], cl.io);
    const procs = () => pod.programs.procs('c')!.list().map((p) => p.argv.join(' '));
    await until('both sleeps', () => procs().includes('sleep 1000') && procs().includes('sleep 2000'));
    cl.abort.abort();
    expect(await done).toBe(137);
    await until('only the program left', () => procs().length === 1);
    expect(cl.stdout.text).toBe('');
  });

  it('a missing command is containerd\'s error, as for ExecSync', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'] });
    const err = await pod.programs.execStream(c, ['nosuch'], client().io).catch((e) => e);
    expect(err).toBeInstanceOf(FakecriError);
    expect(err.message).toContain('exec: "nosuch": executable file not found in $PATH: unknown');
  });

  it('a slow reader of stdout makes the command wait', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'] });
    const cl = client({ stdin: false });
    const { Writable } = await import('node:stream');
    let taken = 0;
    let release: (() => void) | undefined;
    cl.io.stdout = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _e, cb) {
        taken += chunk.length;
        release = cb;
      },
    });
    const done = pod.programs.execStream(c, ['dd', 'if=/dev/zero', 'bs=65536', 'count=16'], cl.io);
    await until('the first block', () => release !== undefined);
    expect(taken).toBeLessThanOrEqual(65536);
    for (;;) {
      const r = release;
      release = undefined;
      r?.();
      if (await Promise.race([done.then(() => true), until('the next block', () => release !== undefined || undefined).then(() => false)])) break;
    }
    expect(taken).toBe(16 * 65536);
  });
});

describe('Programs.execStream with a tty', () => {
  let pod: Pod;
  beforeEach(() => {
    pod = makePod();
  });
  afterEach(() => pod.close());

  it('merges stderr into stdout with CR LF, and [ -t 0 ] and [ -t 1 ] are true', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'] });
    const cl = client({ tty: true, stdin: false });
    const status = await pod.programs.execStream(c, ['sh', '-c', 'echo out; echo err >&2; [ -t 0 ] && [ -t 1 ] && echo tty; echo $TERM'], cl.io);
    expect(status).toBe(0);
    expect(cl.stdout.text).toBe('out\r\nerr\r\ntty\r\nxterm\r\n');
  });

  it('without a tty, [ -t 0 ] is false', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'] });
    const cl = client({ stdin: false });
    await pod.programs.execStream(c, ['sh', '-c', '[ -t 0 ] || echo notty; stty size'], cl.io);
    expect(cl.stdout.text).toBe('notty\n');
    expect(cl.stderr.text).toBe('stty: standard input: Inappropriate ioctl for device\n');
  });

  it('stty size follows the resizes', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'] });
    const cl = client({ tty: true });
    cl.resize(120, 40);
    const done = pod.programs.execStream(c, ['sh'], cl.io);
    await until('the prompt', () => cl.stdout.text.endsWith('/ # '));
    cl.stdin.write('stty size\r');
    await until('the size', () => cl.stdout.text.includes('40 120\r\n'));
    cl.resize(100, 30);
    cl.stdin.write('stty size\r');
    await until('the new size', () => cl.stdout.text.includes('30 100\r\n'));
    cl.stdin.write('exit 4\r');
    expect(await done).toBe(4);
  });

  it('an interactive sh: prompt, echo of what is typed, erase, ^C, ^D', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'] });
    const cl = client({ tty: true });
    const done = pod.programs.execStream(c, ['sh'], cl.io);
    await until('the prompt', () => cl.stdout.text === '/ # ');
    cl.stdin.write('echo hellx\x7fo\r');
    await until('the output', () => cl.stdout.text === '/ # echo hellx\b \bo\r\nhello\r\n/ # ');
    cl.stdin.write('cd /tmp\r');
    await until('the prompt in /tmp', () => cl.stdout.text.endsWith('/tmp # '));
    // ^C at the prompt drops the line; during a command it ends the command.
    cl.stdin.write('echo no\x03');
    await until('a new prompt', () => cl.stdout.text.endsWith('/tmp # echo no^C\r\n/tmp # '));
    cl.stdin.write('sleep 1000; echo not this\r');
    await until('the sleep', () => pod.programs.procs('c')!.list().some((p) => p.argv.join(' ') === 'sleep 1000'));
    cl.stdin.write('\x03');
    await until('the prompt after ^C', () => cl.stdout.text.endsWith('sleep 1000; echo not this\r\n^C\r\n/tmp # '));
    cl.stdin.write('echo $?\r');
    await until('the status', () => cl.stdout.text.endsWith('130\r\n/tmp # '));
    // cat killed while it reads leaves the next line to the shell.
    cl.stdin.write('cat\r');
    await until('cat', () => pod.programs.procs('c')!.list().some((p) => p.argv.join(' ') === 'cat'));
    cl.stdin.write('\x03');
    await until('the prompt after cat', () => cl.stdout.text.endsWith('cat\r\n^C\r\n/tmp # '));
    cl.stdin.write('echo next\r');
    await until('the next line run', () => cl.stdout.text.endsWith('echo next\r\nnext\r\n/tmp # '));
    cl.stdin.write('\x04');
    expect(await done).toBe(0);
  });

  it('stty -echo stops the echo', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'] });
    const cl = client({ tty: true });
    const done = pod.programs.execStream(c, ['sh', '-c', 'stty -echo; echo ready; read x; echo "got $x"; stty -a | grep -o -- "-echo "'], cl.io);
    await until('stty to have run', () => cl.stdout.text === 'ready\r\n');
    cl.stdin.write('secret\r');
    expect(await done).toBe(0);
    expect(cl.stdout.text).toBe('ready\r\ngot secret\r\n-echo \r\n');
  });
});
