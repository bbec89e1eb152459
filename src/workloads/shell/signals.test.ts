import { describe, expect, it } from 'vitest';
import { Collector } from '../procs/streams';
import { until } from '../../test/wait';
import { Kit } from './testkit';

// Traps, signals, background jobs and the bounds that keep a shell from
// blocking fakecri, on a small test container.

const running = (k: Kit, argv0: string) => k.procs.list().filter((p) => p.argv[0] === argv0);

describe('signals and traps', () => {
  it("a trapped TERM runs `exit 0` after the foreground sleep ends", async () => {
    const k = new Kit();
    const out = new Collector();
    const { proc, done } = k.start("trap 'echo trapped; exit 0' TERM; echo ready; sleep 0.3; echo after", { stdout: out });
    await until('the shell to be in its sleep', async () => out.text() === 'ready\n' && running(k, 'sleep').length === 1);
    expect(k.procs.kill(proc.pid, 'TERM', proc.identity)).toBe('ok');
    // The sleep goes on: the trap waits for the foreground command.
    expect(running(k, 'sleep')).toHaveLength(1);
    expect(out.text()).toBe('ready\n');
    const r = await done;
    expect(r).toMatchObject({ status: 0, stdout: 'ready\ntrapped\n' });
  });

  it('a TERM with no trap kills a shell that is not pid 1 (143); pid 1 ignores it', async () => {
    const k = new Kit();
    const init = k.start('while true; do sleep 0.05; done');
    const other = k.start('echo up; while true; do sleep 0.05; done');
    expect(init.proc.pid).toBe(1);
    await until('both loops', async () => running(k, 'sleep').length === 2);
    k.procs.kill(other.proc.pid, 'TERM', other.proc.identity);
    expect((await other.done).status).toBe(143);
    k.procs.kill(1, 'TERM', init.proc.identity);
    await until('a few more sleeps of pid 1', async () => k.runs > 20);
    expect(init.proc.state).not.toBe('zombie');
    // From outside (the runtime): SIGKILL from inside does not reach pid 1.
    k.procs.signal(1, 'KILL');
    expect((await init.done).status).toBe(137);
  });

  it('SIGKILL ends the shell at once without its EXIT trap', async () => {
    const k = new Kit();
    const { proc, done } = k.start("trap 'echo exit-trap' EXIT; sleep 100");
    await until('the sleep', async () => running(k, 'sleep').length === 1);
    k.procs.signal(proc.pid, 'KILL');
    expect(await done).toMatchObject({ status: 137, stdout: '' });
    k.procs.killAll();
  });

  // Each expectation is what Debian's busybox 1.35 ash prints.
  it('the ERR trap runs where set -e would exit, not for tested commands, and in functions only with set -E', async () => {
    const k = new Kit();
    const script = "trap 'echo err $?' ERR; false; f() { false; }; f; (false); false || true; ! false; if false; then :; fi; set -E; f; trap; echo end";
    expect(await k.exec(['sh', '-c', script])).toMatchObject({ status: 0, stdout: "err 1\nerr 1\nerr 1\nerr 1\nerr 1\ntrap -- 'echo err $?' ERR\nend\n" });
    // $? survives the trap; set -e exits after it; exit in it ends the shell.
    expect(await k.exec(['sh', '-c', 'trap "echo err; nosuch" ERR; false; echo st=$?'])).toMatchObject({ status: 0, stdout: 'err\nst=1\n', stderr: 'sh: nosuch: not found\n' });
    expect(await k.exec(['sh', '-c', 'set -e; trap "echo err \\$?; false" ERR; false; echo no'])).toMatchObject({ status: 1, stdout: 'err 1\n' });
    expect(await k.exec(['sh', '-c', 'trap "exit 7" ERR; false; echo no'])).toMatchObject({ status: 7, stdout: '' });
  });

  it('wait is interrupted by a trapped signal: 128+n, then the trap', async () => {
    const k = new Kit();
    const out = new Collector();
    const { proc, done } = k.start("trap 'echo usr1' USR1; sleep 100 & echo bg; wait; echo \"wait=$?\"", { stdout: out });
    // The background job is a process of its own that runs sleep in place.
    await until('the background job', async () => out.text() === 'bg\n' && k.procs.list().length === 2);
    k.procs.kill(proc.pid, 'USR1', proc.identity);
    expect(await done).toMatchObject({ status: 0, stdout: 'bg\nusr1\nwait=138\n' });
    k.procs.killAll();
  });

  // Each as busybox 1.35 ash prints it. A child's end is one CHLD however
  // many came before the trap ran; ash always catches CHLD, so a wait ends
  // at it (145) even under `trap ''`.
  it('a CHLD trap runs after a command whose children ended, once for those that ended together; it ends a wait', async () => {
    const k = new Kit();
    const r = await k.exec(['sh', '-c', "trap 'echo c' CHLD; true; echo 1; (true); echo 2; kill -CHLD $$ | kill -CHLD $$; echo 3; echo $(true) $(true); sleep 0.01 & wait; echo $?"]);
    expect(r).toMatchObject({ status: 0, stdout: '1\nc\n2\nc\n3\n\nc\nc\n145\n', stderr: '' });
    const ignored = await k.exec(['sh', '-c', "trap '' CHLD; sleep 0.01 & wait $!; echo $?; trap - CHLD; sleep 0.01 & wait $!; echo $?"]);
    expect(ignored).toMatchObject({ status: 0, stdout: '145\n0\n', stderr: '' });
  });

  it('EXIT trap runs at the end of the script, on exit, and after a trap that exits', async () => {
    const k = new Kit();
    expect(await k.exec(['sh', '-c', "trap 'echo bye $?' EXIT; echo hi"])).toMatchObject({ stdout: 'hi\nbye 0\n', status: 0 });
    expect(await k.exec(['sh', '-c', "trap 'echo bye' 0; exit 3"])).toMatchObject({ stdout: 'bye\n', status: 3 });
    const { proc, done } = k.start("trap 'echo bye' EXIT; trap 'exit 5' HUP; echo ready; while :; do sleep 0.02; done");
    await until('ready', async () => running(k, 'sleep').length === 1);
    k.procs.kill(proc.pid, 'HUP', proc.identity);
    expect(await done).toMatchObject({ status: 5, stdout: 'ready\nbye\n' });
  });

  it("trap '' ignores, trap - restores, trap lists", async () => {
    const k = new Kit();
    const r = await k.exec(['sh', '-c', "trap '' INT; trap 'echo t' SIGTERM 1; trap; trap - TERM; trap; kill -INT $$; echo alive; trap x NOSUCH; echo $?"]);
    expect(r.stdout).toBe("trap -- 'echo t' HUP\ntrap -- '' INT\ntrap -- 'echo t' TERM\ntrap -- 'echo t' HUP\ntrap -- '' INT\nalive\n1\n");
    expect(r.stderr).toBe('sh: trap: line 0: NOSUCH: invalid signal specification\n');
  });

  it('signals the shell ignores stay ignored in the commands it starts', async () => {
    const k = new Kit();
    const out = new Collector();
    const { done } = k.start("trap '' TERM; sleep 0.3; echo slept", { stdout: out });
    await until('the sleep', async () => running(k, 'sleep').length === 1);
    const sleep = running(k, 'sleep')[0];
    k.procs.kill(sleep.pid, 'TERM', { uid: 0, gid: 0, groups: [] });
    expect(await done).toMatchObject({ status: 0, stdout: 'slept\n' });
  });

  // As ash's setsignal: a signal ignored when the shell began is
  // S_HARD_IGN. busybox 1.35 gave these outputs.
  it('a signal ignored when the shell began cannot be trapped or reset, though trap lists it; a background job hard-ignores INT and QUIT', async () => {
    const k = new Kit();
    const sh = async (script: string) => (await k.exec(['sh', '-c', script])).stdout;
    expect(await sh("trap '' INT; sh -c 'trap \"echo int\" INT; kill -INT $$; echo after'; echo $?")).toBe('after\n0\n');
    expect(await sh("trap '' TERM; sh -c 'trap \"echo term\" TERM; kill $$; echo after; trap'; echo $?")).toBe("after\ntrap -- 'echo term' TERM\n0\n");
    expect(await sh("trap '' INT; sh -c 'trap - INT; kill -INT $$; echo after'")).toBe('after\n');
    expect(await sh('(trap) & wait; echo ---; (trap "echo x" INT; trap; kill -INT $(sh -c \'echo $PPID\'); echo after) & wait')).toBe("---\ntrap -- 'echo x' INT\nafter\n");
  });

  it('kill %1 and $! reach the background job; wait reports its status', async () => {
    const k = new Kit();
    const r = await k.exec(['sh', '-c', 'sleep 100 & sleep 100 & kill %1; wait %1; echo "one=$?"; kill $!; wait $!; echo "two=$?"; wait 99999; echo "unknown=$?"']);
    expect(r).toMatchObject({ status: 0, stdout: 'one=143\ntwo=143\nunknown=127\n' });
    expect(running(k, 'sleep')).toHaveLength(0);
  });

  // Each expectation is what Debian's busybox 1.35 ash prints.
  it('a waited job stays in the table until jobs shows it or a new job takes its slot', async () => {
    const k = new Kit();
    const twice = await k.exec(['sh', '-c', '(exit 3) & p=$!; wait $p; echo $?; wait $p; echo $?; wait; echo $?; wait $p; echo $?']);
    expect(twice).toMatchObject({ status: 0, stdout: '3\n3\n0\n3\n' });
    // The new job takes slot 1, the waited one's: $p is unknown after.
    const reused = await k.exec(['sh', '-c', '(exit 3) & p=$!; wait $p; (exit 4) & q=$!; wait $q; echo $?; wait $p; echo $?; wait $q; echo $?; jobs']);
    expect(reused).toMatchObject({ status: 0, stdout: `4\n127\n4\n[1]+  Done(4)${' '.repeat(20)}\n` });
    const shown = await k.exec(['sh', '-c', '(exit 3) & p=$!; wait $p; jobs; wait $p; echo $?']);
    expect(shown).toMatchObject({ status: 0, stdout: `[1]+  Done(3)${' '.repeat(20)}\n127\n` });
  });

  it('wait -n waits until a job exits 0 or none runs, and answers 0 or 129, as ash does', async () => {
    const k = new Kit();
    const r = await k.exec(['sh', '-c', 'true & wait -n; echo $?; (exit 5) & wait -n; echo $?; wait -n; echo $?; sleep 0.2 & (exit 3) & wait -n; echo $?; jobs']);
    expect(r).toMatchObject({ status: 0, stdout: `0\n129\n0\n0\n[2]+  Done(3)${' '.repeat(20)}\n[1]+  Done${' '.repeat(23)}\n` });
    expect(await k.exec(['sh', '-c', 'wait -n; echo $?'])).toMatchObject({ stdout: '127\n' });
  });

  it('jobs lists the newest first, forgetting those it shows ended; -p and -l give pids', async () => {
    const k = new Kit();
    const r = await k.exec(['sh', '-c', 'sleep 100 & sleep 100 & sleep 100 & (exit 2) & sleep 0.1; jobs; jobs; jobs -p | wc -l; jobs -l %1; jobs %4; kill %1 %2 %3']);
    const pad = (head: string) => `${head}${' '.repeat(33 - head.length)}\n`;
    expect(r).toMatchObject({
      status: 0,
      stdout: [pad('[4]+  Done(2)'), pad('[3]+  Running'), pad('[2]-  Running'), pad('[1]   Running'), pad('[3]+  Running'), pad('[2]-  Running'), pad('[1]   Running'), '3\n', pad('[1]   2 Running')].join(''),
      stderr: 'sh: jobs: line 0: %4: no such job\n',
    });
  });

  // Each as Debian's busybox 1.35 ash words it: with no job control, a
  // job's command text is empty, so only %?, which matches all, finds one.
  it('a %job that names none is status 2 and the script goes on; fg and bg find no job started under job control', async () => {
    const k = new Kit();
    const r = await k.exec(['sh', '-c', 'fg; echo $?; sleep 100 & fg; echo $?; bg %2; echo $?; kill %-; echo $?; wait %sl; echo $?; sleep 100 & kill %?; echo $?; kill %1 %2']);
    expect(r).toMatchObject({
      status: 0,
      stdout: '2\n2\n2\n2\n2\n2\n',
      stderr: [
        'sh: fg: line 0: No current job',
        'sh: fg: line 0: job (null) not created under job control',
        'sh: bg: line 0: %2: no such job',
        'sh: kill: line 0: No previous job',
        'sh: wait: line 0: %sl: no such job',
        'sh: kill: line 0: %?: ambiguous',
        '',
      ].join('\n'),
    });
    expect(running(k, 'sleep')).toHaveLength(0);
  });

  it('jobs in a pipeline stage or $(jobs) lists the shell jobs; a subshell has none', async () => {
    const k = new Kit();
    const r = await k.exec(['sh', '-c', 'sleep 100 & sleep 100 & jobs -p | wc -l; { jobs; } | wc -l; (jobs | wc -l); echo $(jobs -p | wc -l); x=$(jobs -p); echo "$x" | wc -l; kill %1 %2']);
    expect(r).toMatchObject({ status: 0, stdout: '2\n2\n0\n0\n2\n' });
  });
});

describe('bounds', () => {
  it('a busy loop takes time slices, not the event loop, and dies of SIGKILL', async () => {
    const k = new Kit();
    const { proc, done } = k.start('while true; do :; done');
    // A timer fires while the loop runs.
    await new Promise((r) => setTimeout(r, 20));
    expect(proc.state).toBe('running');
    k.procs.signal(proc.pid, 'KILL');
    expect((await done).status).toBe(137);
  });

  it("yes | head -n 3 ends: the writer dies of SIGPIPE", async () => {
    const k = new Kit();
    expect(await k.exec(['sh', '-c', 'yes | head -n 3; echo "status=$?"'])).toMatchObject({ stdout: 'y\ny\ny\nstatus=0\n' });
    const r = await k.exec(['sh', '-c', 'set -o pipefail; while :; do echo y; done | head -n 2; echo "status=$?"']);
    expect(r.stdout).toBe('y\ny\nstatus=141\n');
  });

  it('a variable or here-document past 16 MiB is a clear error, not a crash', async () => {
    const k = new Kit();
    expect(await k.exec(['sh', '-c', 'x=a; while :; do x="$x$x"; done'])).toEqual({ status: 2, stdout: '', stderr: 'sh: out of memory\n' });
    const doc = 'cat <<EOF\n' + 'y'.repeat(1023).concat('\n').repeat(17 * 1024) + 'EOF\necho never\n';
    expect(await k.exec(['sh', '-c', doc])).toEqual({ status: 2, stdout: '', stderr: 'sh: here-document over 16 MiB\n' });
  });

  it('the fork bomb ends with "can\'t fork" errors and frees its processes', async () => {
    const k = new Kit();
    const err = new Collector();
    const r = await k.exec(['sh', '-c', ':(){ :|:& };:'], { stderr: err });
    expect(r.status).toBe(0);
    await until('the bomb to die out', async () => k.procs.list().length === 0, 60_000);
    expect(err.text()).toContain("sh: can't fork: Resource temporarily unavailable\n");
  }, 90_000);
});
