import { type ProcessInfo, SIGNALS, type SignalName } from '../procs/types';
import { withDescendants } from '../procs/tree';
import { RegexError, translateRegex } from './common/regex';
import { catchSignals, signalList, signalName, signalNumber } from './common/signals';
import { type Tool, applet } from './common/tool';
import { Names } from './common/users';

// kill, killall, pidof, pgrep, pkill, ps, top: the container's own process
// table.

export const kill = applet(async (t) => {
  let args = [...t.args];
  if (args[0] === '-l') {
    args = args.slice(1);
    if (args.length === 0) {
      await t.out.text(signalList());
      return 0;
    }
    for (const a of args) {
      if (/^\d+$/.test(a)) {
        const name = signalName(Number(a) & 0x7f);
        await t.out.text(`${name ?? Number(a) & 0x7f}\n`);
      } else {
        const n = signalNumber(a);
        if (n === undefined) return t.die(`unknown signal '${a}'`);
        await t.out.text(`${n}\n`);
      }
    }
    return 0;
  }
  const o = signalOption(args);
  if ('bad' in o) return t.die(`bad signal name '${o.bad}'`);
  return killPids(t, o.rest, o.sig);
});

// What kill(2) gets: a signal the container models, or 0 (kill -0, or one
// it does not model: checked, and nothing arrives).
type Sig = SignalName | 0;

// kill.c's signal option, kill's and killall's alike: -SIG or -s SIG, or
// `--` for none (SIGTERM then); what follows it. busybox has no -n.
function signalOption(args: readonly string[]): { sig: Sig; rest: string[] } | { bad: string } {
  if (args.length === 0 || args[0][0] !== '-') return { sig: 'TERM', rest: [...args] };
  let at = 0;
  let arg = args[0].slice(1);
  if (arg === '-') return { sig: 'TERM', rest: args.slice(1) };
  if (arg === 's' && args.length > 1) arg = args[++at];
  const n = signalNumber(arg);
  return n === undefined ? { bad: arg } : { sig: signalName(n) ?? 0, rest: args.slice(at + 1) };
}

// bb_perror_msg("can't kill pid %d") of kill(2)'s errno.
const cantKill = (pid: number, err: 'ESRCH' | 'EPERM') => `can't kill pid ${pid}: ${err === 'ESRCH' ? 'No such process' : 'Operation not permitted'}`;

async function killPids(t: Tool, pids: string[], sig: Sig): Promise<number> {
  if (pids.length === 0) return t.die('you need to specify whom to kill');
  let errors = 0;
  const procs = t.ctx.container.procs;
  const me = t.ctx.proc.identity;
  for (const a of pids) {
    if (!/^-?\d+$/.test(a.trim())) {
      await t.error(`invalid number '${a}'`);
      errors++;
      continue;
    }
    const pid = Number(a.trim());
    const targets = pid > 0 ? [pid] : groupOf(procs.list(), pid, t.ctx.proc.pid);
    let ok = false;
    let last: 'ESRCH' | 'EPERM' = 'ESRCH';
    for (const target of targets) {
      const r = procs.kill(target, sig, me);
      if (r === 'ok') ok = true;
      else last = r;
    }
    if (!ok) {
      await t.error(cantKill(pid, last));
      errors++;
    }
  }
  // The signal may have been for us: let it land before we go on.
  await t.yield();
  return errors;
}

// busybox's find_pid_by_name: the process name (comm, 15 bytes; a
// truncated one must be argv[1]'s base name, a script's) or argv[0]'s base
// name is `name`. In pid order.
function byName(t: Tool, name: string): ProcessInfo[] {
  const base = (s: string | undefined) => (s ?? '').split('/').pop()!;
  return t.ctx.container.procs.list().filter((q) => {
    const comm = base(q.argv[0]).slice(0, 15);
    if (base(q.argv[0]) === name) return true;
    if (comm !== name.slice(0, 15)) return false;
    return comm.length < 15 || base(q.argv[1]) === name;
  });
}

// pidof [-s] [-o PID]... NAME...: the pids, newest first (as GNU's), on
// one line; 1 when there are none.
export const pidof = applet(async (t) => {
  const p = t.parse({ short: 'so:' });
  const omit = new Set(p.values('o').map((o) => (o === '%PPID' ? String(t.ctx.proc.ppid) : o)));
  const found: number[] = [];
  for (const name of p.operands) {
    const pids = byName(t, name)
      .map((q) => q.pid)
      .reverse()
      .filter((pid) => !omit.has(String(pid)));
    found.push(...(p.has('s') ? pids.slice(0, 1) : pids));
  }
  if (found.length) await t.out.text(`${found.join(' ')}\n`);
  return found.length ? 0 : 1;
});

// killall [-l] [-q] [-SIG|-s SIG] NAME...: kill.c's killall, never the
// caller itself; one error counted per name with none and per failed kill.
export const killall = applet(async (t) => {
  let args = [...t.args];
  let quiet = false;
  if (args[0] === '-l') return kill(t.ctx);
  if (args[0] === '-q') {
    quiet = true;
    args = args.slice(1);
    if (args.length === 0) return t.usage();
  }
  const o = signalOption(args);
  if ('bad' in o) return t.die(`bad signal name '${o.bad}'`);
  args = o.rest;
  if (args.length === 0) return t.die('you need to specify whom to kill');
  const procs = t.ctx.container.procs;
  let errors = 0;
  for (const name of args) {
    const found = byName(t, name);
    if (found.length === 0) {
      errors++;
      if (!quiet) await t.error(`${name}: no process killed`);
      continue;
    }
    for (const q of found) {
      if (q.pid === t.ctx.proc.pid) continue;
      const r = procs.kill(q.pid, o.sig, t.ctx.proc.identity);
      if (r === 'ok') continue;
      errors++;
      if (!quiet) await t.error(cantKill(q.pid, r));
    }
  }
  // The signal may have been for a process of ours: let it land.
  await t.yield();
  return errors;
});

// pgrep and pkill as busybox's pgrep.c: an extended regex against the
// process name (the first 15 bytes of argv[0]'s base name), or with -f the
// whole command line; never the caller itself. Status 1 when none matched.
export const pgrep = applet((t) => pgrepOrPkill(t, false));
export const pkill = applet((t) => pgrepOrPkill(t, true));

async function pgrepOrPkill(t: Tool, kill: boolean): Promise<number> {
  let args = [...t.args];
  let sig = 15;
  if (kill && args[0]?.startsWith('-') && args[0].length > 1) {
    const n = signalNumber(args[0].slice(1));
    if (n !== undefined) {
      sig = n;
      args = args.slice(1);
    }
  }
  const p = t.parse({ short: kill ? 'vfxonP:s:' : 'vlafxonP:s:' }, args);
  if (p.operands.length > 1) return t.die('only one pattern is allowed');
  if (p.operands.length === 0 && !p.has('P') && !p.has('s')) return t.die('no process name');
  let re: RegExp | undefined;
  try {
    if (p.operands.length) re = translateRegex(p.operands[0], { extended: true });
  } catch (err) {
    if (err instanceof RegexError) return t.die(`bad regex '${p.operands[0]}': ${err.message}`);
    throw err;
  }
  const parent = p.has('P') ? Number(p.value('P')) : undefined;
  const self = t.ctx.proc.pid;
  const comm = (q: ProcessInfo) => (q.argv[0] ?? '').split('/').pop()!.slice(0, 15);
  let found = t.ctx.container.procs.list().filter((q) => {
    if (q.pid === self || q.state === 'zombie') return false;
    if (parent !== undefined && q.ppid !== parent) return false;
    if (!re) return true;
    const text = p.has('f') ? q.argv.join(' ') : comm(q);
    const m = re.exec(text);
    const hit = !!m && (!p.has('x') || (m.index === 0 && m[0].length === text.length));
    return hit !== p.has('v');
  });
  if (p.has('n') || p.has('o')) {
    const byStart = [...found].sort((a, b) => a.startMs - b.startMs || a.pid - b.pid);
    found = byStart.length ? [p.has('n') ? byStart[byStart.length - 1] : byStart[0]] : [];
  }
  const name = signalName(sig);
  for (const q of found) {
    if (kill) {
      if (name !== undefined) t.ctx.container.procs.kill(q.pid, name, t.ctx.proc.identity);
    } else if (p.has('a')) await t.out.text(`${q.pid} ${q.argv.join(' ')}\n`);
    else if (p.has('l')) await t.out.text(`${q.pid} ${comm(q)}\n`);
    else await t.out.text(`${q.pid}\n`);
  }
  if (kill) await t.yield();
  return found.length ? 0 : 1;
}

// kill's 0, -1 and -PGID. There are no process groups here: a group is a
// process and its descendants; 0 is every process (the container is one
// session); -1 is every process but init and the caller, as kill(2) says.
function groupOf(list: ProcessInfo[], pid: number, self: number): number[] {
  if (pid === 0) return list.map((p) => p.pid);
  if (pid === -1) return list.map((p) => p.pid).filter((p) => p !== 1 && p !== self);
  const leader = -pid;
  if (!list.some((p) => p.pid === leader)) return [leader];
  const members = withDescendants(list, leader);
  return [...members];
}

const fmtTime = (secs: number): string => {
  let ff = secs % 60;
  let tt = Math.floor(secs / 60);
  if (tt < 60) return `${String(tt).padStart(2)}:${String(ff).padStart(2, '0')}`;
  ff = tt % 60;
  tt = Math.floor(tt / 60);
  if (tt < 24) return `${String(tt).padStart(2)}h${String(ff).padStart(2, '0')}`;
  ff = tt % 24;
  tt = Math.floor(tt / 24);
  return `${String(tt).padStart(2)}d${String(ff).padStart(2, '0')}`;
};

interface Column {
  width: number;
  header: string;
  value: (p: ProcessInfo) => string;
}

export const ps = applet(async (t) => {
  // BSD-style "ps aux" and unknown letters are taken and ignored.
  const opts: string[] = [];
  const args = t.args;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-o' && i + 1 < args.length) opts.push(args[++i]);
    else if (args[i].startsWith('-o')) opts.push(args[i].slice(2));
  }
  const names = new Names(t.ctx.fs);
  const now = t.ctx.container.clock.now();
  const specs: Record<string, Column> = {
    user: { width: 8, header: 'USER', value: (p) => names.user(p.uid) ?? String(p.uid) },
    group: { width: 8, header: 'GROUP', value: (p) => names.group(p.gid) ?? String(p.gid) },
    comm: { width: 16, header: 'COMMAND', value: (p) => (p.argv[0] ?? '').split('/').pop()!.slice(0, 15) },
    args: { width: 0, header: 'COMMAND', value: (p) => (p.state === 'zombie' ? `[${p.argv[0] ?? ''}]` : p.argv.join(' ')) },
    pid: { width: 5, header: 'PID', value: (p) => String(p.pid).padStart(5) },
    ppid: { width: 5, header: 'PPID', value: (p) => String(p.ppid).padStart(5) },
    pgid: { width: 5, header: 'PGID', value: (p) => String(p.pid).padStart(5) },
    etime: { width: 7, header: 'ELAPSED', value: (p) => fmtTime(Math.max(0, Math.floor((now - p.startMs) / 1000))) },
    nice: { width: 5, header: 'NI', value: () => '0'.padStart(5) },
    ruser: { width: 8, header: 'RUSER', value: (p) => names.user(p.uid) ?? String(p.uid) },
    rgroup: { width: 8, header: 'RGROUP', value: (p) => names.group(p.gid) ?? String(p.gid) },
    time: { width: 5, header: 'TIME', value: () => fmtTime(0) },
    tty: { width: 6, header: 'TT', value: () => '' },
    vsz: { width: 4, header: 'VSZ', value: () => '0'.padStart(4) },
    sid: { width: 5, header: 'SID', value: () => '1'.padStart(5) },
    stat: { width: 4, header: 'STAT', value: (p) => (p.state === 'zombie' ? 'Z' : p.state === 'running' ? 'R' : 'S') },
    rss: { width: 4, header: 'RSS', value: () => '0'.padStart(4) },
  };
  const cols: Column[] = [];
  for (const o of opts.length ? opts : ['pid,user,time,args']) {
    let rest = o;
    while (rest) {
      const comma = rest.indexOf(',');
      const eq = rest.indexOf('=');
      let name: string;
      let header: string | undefined;
      if (comma >= 0 && (eq < 0 || eq > comma)) {
        name = rest.slice(0, comma);
        rest = rest.slice(comma + 1);
      } else if (eq >= 0) {
        name = rest.slice(0, eq);
        const after = rest.slice(eq + 1);
        const c2 = after.indexOf(',');
        header = c2 < 0 ? after : after.slice(0, c2);
        rest = c2 < 0 ? '' : after.slice(c2 + 1);
      } else {
        name = rest;
        rest = '';
      }
      const spec = specs[name];
      if (!spec) return t.die(`bad -o argument '${name}', supported arguments: ${Object.keys(specs).join(',')}`);
      const col = { ...spec };
      if (header !== undefined) {
        col.header = header;
        if (header) col.width = header.length;
      }
      cols.push(col);
    }
  }
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(cols[i].width) + ' '))
      .join('')
      .trimEnd();
  if (cols.some((c) => c.header)) await t.out.text(line(cols.map((c) => c.header)) + '\n');
  for (const p of t.ctx.container.procs.list().sort((a, b) => a.pid - b.pid)) {
    await t.out.text(line(cols.map((c) => c.value(p) || '-')) + '\n');
  }
  return 0;
});

export const top = applet(async (t) => {
  const p = t.parse({ short: 'bn:d:mHs' });
  const count = p.has('n') ? Number(p.value('n')) : Infinity;
  const delay = p.has('d') ? Number(p.value('d')) : 5;
  if (!Number.isFinite(delay) || delay < 0) return t.die(`invalid number '${p.value('d')}'`);
  const names = new Names(t.ctx.fs);
  const c = t.ctx.container;
  const total = Math.floor((c.memoryLimitBytes > 0 ? c.memoryLimitBytes : 8 * 1024 * 1024 * 1024) / 1024);
  const caught = catchSignals(t.ctx.proc, FATAL_SIGNALS);
  try {
    for (let i = 0; i < count; i++) {
      if (caught.signal) break;
      const list = c.procs.list().sort((a, b) => a.pid - b.pid);
      let s = p.has('b') || !t.ctx.stdout.isTTY ? '' : '\x1b[H\x1b[J';
      s += `Mem: ${4096}K used, ${total - 4096}K free, 0K shrd, 0K buff, 0K cached\n`;
      s += 'CPU:   0% usr   0% sys   0% nic 100% idle   0% io   0% irq   0% sirq\n';
      s += `Load average: 0.00 0.00 0.00 1/${list.length} ${list.length ? list[list.length - 1].pid : 0}\n`;
      s += '  PID  PPID USER     STAT   VSZ %VSZ %CPU COMMAND\n';
      for (const q of list) {
        const user = (names.user(q.uid) ?? String(q.uid)).slice(0, 8).padEnd(8);
        const st = q.state === 'zombie' ? 'Z' : q.state === 'running' ? 'R' : 'S';
        s += `${String(q.pid).padStart(5)} ${String(q.ppid).padStart(5)} ${user} ${st.padEnd(4)} ${'0'.padStart(5)}   0%   0% ${q.argv.join(' ')}\n`;
      }
      await t.out.text(s);
      await t.out.flush();
      if (i + 1 < count) await Promise.race([t.ctx.sleep(delay * 1000), caught.arrived]);
    }
  } finally {
    caught.off();
  }
  // busybox's sig_catcher re-raises the signal; a namespace's init survives
  // that and _exits with 128 + the signal: 143 for SIGTERM either way.
  return caught.signal ? 128 + SIGNALS[caught.signal] : 0;
});

// The signals top catches to restore the terminal (busybox's BB_FATAL_SIGS),
// so that, unlike most applets, it ends on SIGTERM even as pid 1.
const FATAL_SIGNALS: readonly SignalName[] = ['HUP', 'INT', 'TERM', 'PIPE', 'QUIT', 'ABRT', 'ALRM', 'VTALRM', 'XCPU', 'XFSZ', 'USR1', 'USR2'];
