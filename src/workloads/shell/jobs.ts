import { SIGNAL_TEXT, diedOf } from '../procs/types';
import type { Node } from './ast';
import type { Job, Shell } from './shell';

// Background jobs: %job specs, wait, jobs.

// The job a %spec names, or undefined.
function findJob(sh: Shell, spec: string): Job | undefined {
  const s = spec.slice(1);
  if (s === '' || s === '%' || s === '+') return sh.jobs[sh.jobs.length - 1];
  if (s === '-') return sh.jobs[sh.jobs.length - 2];
  if (/^[0-9]+$/.test(s)) return sh.jobs.find((j) => j.id === Number(s));
  const found = sh.jobs.filter((j) => (s[0] === '?' ? j.text.includes(s.slice(1)) : j.text.startsWith(s)));
  return found.length === 1 ? found[0] : undefined;
}

// A forked child clears the job list, but one forked to run `jobs` alone
// (a pipeline stage, $(jobs)) keeps it, so that `jobs | wc -l` counts the
// shell's jobs: ash's "job hack" in forkchild. `(jobs)` and
// `$(jobs | wc -l)` fork first for something else and see none.
export function keepsJobs(n: Node): boolean {
  while (n.t === 'seq' && n.list.length === 1) n = n.list[0];
  return n.t === 'simple' && n.words[0]?.lit === 'jobs';
}

export async function killArgs(sh: Shell, argv: string[]): Promise<string[]> {
  if (argv[1] === '-l' || argv[1] === '-L') return argv;
  const out: string[] = [argv[0]];
  for (const a of argv.slice(1)) {
    if (a[0] !== '%') {
      out.push(a);
      continue;
    }
    const job = findJob(sh, a);
    if (!job) {
      const saved = sh.cmdName;
      sh.cmdName = 'kill';
      try {
        await sh.fail(`${a}: no such job`);
      } finally {
        sh.cmdName = saved;
      }
    }
    for (const pid of job!.pids) if (sh.ctx.container.procs.get(pid)) out.push(String(pid));
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
      const r = await sh.interruptible(Promise.race(running.map((j) => j.done)));
      if ('signal' in r) return 128 + r.signal;
    }
    sh.fgWaits++;
    for (const j of sh.jobs) j.waited = true;
    return 0;
  }
  let status = 127;
  for (const a of args) {
    let job: Job | undefined;
    if (a[0] === '%') {
      job = findJob(sh, a);
      if (!job) await sh.fail(`${a}: no such job`);
    } else {
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
    const r = await sh.interruptible(job!.done);
    if ('signal' in r) return 128 + r.signal;
    status = r.value;
    sh.fgWaits++;
    const sig = reaps ? diedOf(job!.proc, status) : undefined;
    if (sig) await sh.saySignal(sig);
    job!.waited = true;
  }
  return status;
}

// wait -n: waits for the next job to end; 127 with no jobs at all, 0
// when none is running (ash's BASH_WAIT_N). What it answers for the job is
// ash's, not bash's: its dowait() hands waitcmd a yes/no where the status
// should be, so a job that exited 0 gives 0 and any other 129 (busybox 1.35
// and 1.37 alike).
async function waitOne(sh: Shell): Promise<number> {
  if (sh.jobs.length === 0) return 127;
  const running = sh.jobs.filter((j) => j.status === undefined);
  for (const j of sh.jobs) if (j.status !== undefined) j.waited = true;
  if (running.length === 0) return 0;
  const r = await sh.interruptible(Promise.race(running.map((j) => j.done.then(() => j))));
  if ('signal' in r) return 128 + r.signal;
  sh.fgWaits++;
  return r.value.status === 0 ? 0 : 129;
}

export async function jobsCmd(sh: Shell): Promise<number> {
  let text = '';
  const last = sh.jobs[sh.jobs.length - 1];
  for (const j of sh.jobs) {
    const sig = diedOf(j.proc, j.status);
    const state = j.status === undefined ? 'Running' : sig ? SIGNAL_TEXT[sig] : j.status === 0 ? 'Done' : `Done(${j.status})`;
    // ash's showjob: the command from column 33, and only with job control.
    const head = `[${j.id}]${j === last ? '+' : ' '}  ${state}`;
    text += `${head}${' '.repeat(Math.max(33 - head.length, 1))}${sh.root.interactive ? j.text : ''}\n`;
  }
  sh.jobs = sh.jobs.filter((j) => j.status === undefined);
  await sh.print(text);
  return 0;
}
