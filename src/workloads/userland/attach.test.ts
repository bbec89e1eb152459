import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stays, until } from '../../test/wait';
import { type Pod, client, makePod } from './streams-testkit';

describe('Programs.attach', () => {
  let pod: Pod;
  beforeEach(() => {
    pod = makePod();
  });
  afterEach(() => pod.close());

  const running = (id: string) => pod.programs.has(id) && !pod.exits.has(id);

  it("follows the program's output from the attach on, stdout and stderr apart", async () => {
    const c = pod.start('c', { command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "out $i"; echo "err $i" >&2; sleep 0.05; done'] });
    const a = client({ stdin: false });
    const attached = pod.programs.attach(c, a.io);
    await until('a few lines', () => a.stdout.text.split('\n').length > 3);
    const first = Number(/out (\d+)/.exec(a.stdout.text)![1]);
    expect(a.stdout.text).toMatch(new RegExp(`^out ${first}\\n(out \\d+\\n)+`));
    expect(a.stderr.text).toMatch(/^err \d+\n/);
    a.abort.abort();
    await attached;
    await stays('the program to keep running after the detach', () => running('c'), 200);
  });

  it("stdin feeds the program's read (critest: stdin_once, sh reads echo -n hello)", async () => {
    const c = pod.start('c', { command: ['sh'], stdin: true, stdin_once: true });
    const a = client();
    const attached = pod.programs.attach(c, a.io);
    await stays('no output without input', () => a.stdout.text === '', 100);
    a.stdin.write('echo -n hello\n');
    await until('hello', () => a.stdout.text === 'hello');
    a.stdin.end();
    // stdin_once: the end of the first attach's stdin is the program's: sh ends.
    await attached;
    await until('the program to exit', () => pod.exits.get('c') === 0);
    expect(a.stderr.text).toBe('');
  });

  it('without stdin_once, a detach leaves stdin open for the next attach', async () => {
    const c = pod.start('c', { command: ['sh', '-c', 'while read l; do echo "got $l"; done; echo eof'], stdin: true });
    const a = client();
    const first = pod.programs.attach(c, a.io);
    a.stdin.write('one\n');
    await until('one', () => a.stdout.text === 'got one\n');
    a.stdin.end();
    a.abort.abort();
    await first;
    await stays('the program to keep reading', () => running('c'), 100);
    const b = client();
    const second = pod.programs.attach(c, b.io);
    b.stdin.write('two\n');
    await until('two', () => b.stdout.text === 'got two\n');
    expect(a.stdout.text).toBe('got one\n');
    b.abort.abort();
    await second;
  });

  it('every attach gets the output; the attach ends when the program does, after its last output', async () => {
    const c = pod.start('c', { command: ['sh', '-c', 'read x; echo "bye $x"; exit 5'], stdin: true });
    const a = client({ stdin: false });
    const b = client();
    const pa = pod.programs.attach(c, a.io);
    const pb = pod.programs.attach(c, b.io);
    b.stdin.write('now\n');
    await Promise.all([pa, pb]);
    expect(a.stdout.text).toBe('bye now\n');
    expect(b.stdout.text).toBe('bye now\n');
    await until('the exit', () => pod.exits.get('c') === 5);
  });

  it('a container without config stdin reads /dev/null; the attach stdin is not read', async () => {
    const c = pod.start('c', { command: ['sh', '-c', 'read x; echo "read ended: $?"; sleep 3600'] });
    const a = client();
    const attached = pod.programs.attach(c, a.io);
    a.stdin.write('ignored\n');
    await until('read to end', () => a.stdout.text === 'read ended: 1\n');
    a.abort.abort();
    await attached;
    expect(a.stdin.readableLength).toBeGreaterThan(0);
  });

  it('with config tty: a terminal, output as the log has it (CR LF, stderr merged), ^C to the program', async () => {
    const c = pod.start('c', { command: ['sh'], stdin: true, tty: true });
    const a = client({ tty: true });
    a.resize(90, 33);
    const attached = pod.programs.attach(c, a.io);
    a.stdin.write('\r');
    await until('a prompt', () => a.stdout.text.endsWith('/ # '));
    a.stdin.write('stty size; echo err >&2; echo $TERM\r');
    await until('the size', () => a.stdout.text.endsWith('33 90\r\nerr\r\nxterm\r\n/ # '));
    a.stdin.write('sleep 1000\r');
    await until('the sleep', () => pod.programs.procs('c')!.list().some((p) => p.argv.join(' ') === 'sleep 1000'));
    a.stdin.write('\x03');
    await until('the prompt after ^C', () => a.stdout.text.endsWith('sleep 1000\r\n^C\r\n/ # '));
    a.abort.abort();
    await attached;
    await stays('the shell to live on after the detach', () => running('c'), 100);
  });

  it('the log gets what attaches see', async () => {
    const c = pod.container('c', { command: ['sh', '-c', 'read x; echo "log $x"'], stdin: true, stdin_once: true });
    c.logPath = join(pod.stateDir, 'c.log');
    pod.programs.start(c);
    const a = client();
    const attached = pod.programs.attach(c, a.io);
    a.stdin.end('line\n');
    await attached;
    expect(a.stdout.text).toBe('log line\n');
    expect(readFileSync(c.logPath, 'utf8')).toMatch(/^\S+ stdout F log line\n$/);
  });
});
