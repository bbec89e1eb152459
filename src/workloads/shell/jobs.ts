import { SIGNAL_TEXT, diedOf } from '../procs/types';
import type { Node } from './ast';
import { builtinFlags } from './options';
import type { Job, Shell } from './shell';

// Background jobs: %job specs, wait, jobs.

// ash's getjob: the job `name` names (the current one for none), or the
// error it raises.
async function getJob(sh: Shell, name: string | undefined): Promise<Job> {
  const jobs = sh.jobs;
  let job: Job | undefined;
  let err = `${name}: no such job`;
  const s = name?.[0] === '%' ? name.slice(1) : undefined;
  if (name === undefined || s === '' || s === '%' || s === '+') {
    job = jobs[jobs.length - 1];
    err = 'No current job';
  } else if (s === '-') {
    job = jobs[jobs.length - 2];
    err = 'No previous job';
  } else if (s !== undefined && /^[0-9]+$/.test(s)) job = jobs.find((j) => j.id === Number(s));
  else if (s !== undefined) {
    // A job's text is kept only under job control (ash's ps_cmd is "" else).
    const text = (j: Job) => (sh.root.interactive ? j.text : '');
    const found = jobs.filter((j) => (s[0] === '?' ? text(j).includes(s.slice(1)) : text(j).startsWith(s)));
    if (found.length > 1) err = `${name}: ambiguous`;
    else job = found[0];
  }
  return job ?? sh.fail(err);
}

// A forked child clears the job list, but one forked to run `jobs` alone
// (a pipeline stage, $(jobs)) keeps it, so that `jobs | wc -l` counts the
// shell's jobs: ash's "job hack" in forkchild. `(jobs)` and
// `$(jobs | wc -l)` fork first for something else and see none.
export function keepsJobs(n: Node): boolean {
  while (n.t === 'seq' && n.list.length === 1) n = n.list[0];
  return n.t === 'simple' && n.words[0]?.lit === 'jobs';
}

// ash's trap hack (forkchild, FORK_NOJOB): `$(trap)`, the word alone, shows
// the parent's traps, so that `saved=$(trap)` can be eval'd back.
export function showsTraps(n: Node): boolean {
  while (n.t === 'seq' && n.list.length === 1) n = n.list[0];
  return n.t === 'simple' && n.words.length === 1 && n.words[0].lit === 'trap';
}

export async function killArgs(sh: Shell, argv: string[]): Promise<string[]> {
  if (argv[1] === '-l' || argv[1] === '-L') return argv;
  const out: string[] = [argv[0]];
  for (const a of argv.slice(1)) {
    if (a[0] !== '%') {
      out.push(a);
      continue;
    }
    const job = await sh.named('kill', () => getJob(sh, a));
    for (const pid of job.pids) if (sh.ctx.container.procs.get(pid)) out.push(String(pid));
  }
  return out;
}


export async function waitCmd(sh: Shell, argv: string[]): Promise<number> {
  let args = argv.slice(1);
  const one = args[0] === '-n';
  if (one) args = args.slice(1);
  if (one && args.length === 0) return waitOne(sh);
  if (args.length === 0) {
    for (;;) {
      const running = sh.jobs.filter((j) => j.status === undefined);
      if (running.length === 0) break;
      const r = await sh.interruptible(Promise.race(running.map((j) => j.done)), true);
      if ('signal' in r) return 128 + r.signal;
    }
    sh.fgWaits++;
    for (const j of sh.jobs) j.waited = true;
    return 0;
  }
  let status = 127;
  for (const a of args) {
    let job: Job | undefined;
    if (a[0] === '%') job = await getJob(sh, a);
    else {
      const pid = await sh.number(a);
      job = sh.jobs.find((j) => j.proc.pid === pid);
      if (!job) {
        status = 127;
        continue;
      }
    }
    // ash says how a signal ended the job when this wait reaps it: not
    // when a foreground command's wait did so before.
    const reaps = job!.status === undefined || job!.endedAt === sh.fgWaits;
    const r = await sh.interruptible(job!.done, true);
    if ('signal' in r) return 128 + r.signal;
    status = r.value;
    sh.fgWaits++;
    const sig = reaps ? diedOf(job!.proc, status) : undefined;
    if (sig) await sh.saySignal(sig);
    job!.waited = true;
  }
  return status;
}

// wait -n as ash's BASH_WAIT_N has it: 127 with no jobs at all, 0 when
// none is running. Else its dowait() reaps jobs as they end until one
// exits 0 or none is left running, and hands waitcmd a yes/no where the
// status should be: 0 once a job exited 0, else 129 (busybox 1.35 and 1.37
// alike). So `(exit 4) & sleep 9 & wait -n` waits for the sleep, and
// answers 0.
async function waitOne(sh: Shell): Promise<number> {
  if (sh.jobs.length === 0) return 127;
  // A job that ended since the last foreground wait is still ash's zombie:
  // this wait reaps it first, and it counts as one that ended
  // (`(exit 4) & wait -n` is 129).
  let reaped = false;
  for (const j of sh.jobs) {
    if (j.status === undefined) continue;
    if (!j.waited && j.endedAt === sh.fgWaits) {
      j.waited = true;
      sh.fgWaits++;
      if (j.status === 0) return 0;
      reaped = true;
    }
    j.waited = true;
  }
  for (;;) {
    const running = sh.jobs.filter((j) => j.status === undefined);
    if (running.length === 0) return reaped ? 129 : 0;
    const r = await sh.interruptible(Promise.race(running.map((j) => j.done.then(() => j))), true);
    if ('signal' in r) return 128 + r.signal;
    sh.fgWaits++;
    reaped = true;
    if (r.value.status === 0) return 0;
  }
}

// ash's jobscmd: newest first, '+' on the current job and '-' on the one
// before. -p prints each job's first pid; -l adds the pids, a pipeline's
// later processes on lines of their own. A job shown ended is forgotten
// then (so the next one shown is current), except by -p.
export async function jobsCmd(sh: Shell, argv: string[]): Promise<number> {
  const { flags, next: i } = await builtinFlags(sh, argv, 'lp');
  const pids = flags.includes('l');
  const only = flags.includes('p');
  let shown: Job[] = [];
  for (const spec of argv.slice(i)) shown.push(await getJob(sh, spec));
  if (i === argv.length) shown = sh.jobs.slice().reverse();
  // The jobs not yet forgotten, newest first: [0] is current, [1] the one before.
  const left = sh.jobs.slice().reverse();
  let text = '';
  for (const j of shown) {
    if (only) {
      text += `${j.pids[0]}\n`;
      continue;
    }
    const at = left.indexOf(j);
    const sig = diedOf(j.proc, j.status);
    const state = j.status === undefined ? 'Running' : sig ? SIGNAL_TEXT[sig] : j.status === 0 ? 'Done' : `Done(${j.status})`;
    // ash's showjob: the command from column 33, and only with job control.
    const cmd = sh.root.interactive ? j.text : '';
    const head = `[${j.id}]${at === 0 ? '+' : at === 1 ? '-' : ' '}  ${pids ? `${j.pids[0]} ` : ''}${state}`;
    text += `${head}${' '.repeat(Math.max(33 - head.length, 1))}${cmd}`;
    const indent = `[${j.id}]   `.length;
    for (const pid of j.pids.slice(1)) text += pids ? `\n${' '.repeat(indent)}${pid} ${' '.repeat(Math.max(33 - indent - String(pid).length - 1, 1))}| ` : ' | ';
    text += '\n';
    if (j.status !== undefined && at >= 0) {
      left.splice(at, 1);
      sh.jobs = sh.jobs.filter((x) => x !== j);
    }
  }
  await sh.print(text);
  return 0;
}

// fg and bg: a non-interactive shell starts no job under job control, so
// ash's fg_bgcmd finds the job and fails (status 2). No name is printed as
// glibc prints a NULL string.
export async function fgBgCmd(sh: Shell, argv: string[]): Promise<number> {
  const { next } = await builtinFlags(sh, argv, '');
  const name = argv[next] as string | undefined;
  await getJob(sh, name);
  return sh.fail(`job ${name ?? '(null)'} not created under job control`);
}
