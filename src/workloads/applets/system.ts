import { posix } from 'node:path';
import { DEFAULT_PATH } from '../rootfs/path';
import { isFsError } from '../rootfs/types';
import { parseDuration } from './basic';
import { DateError, parseDateStr, strftime, strptime } from './common/date';
import { signalNumber, signalName } from './common/signals';
import { type Tool, applet } from './common/tool';
import { Names } from './common/users';
import type { RunOptions } from './types';

// id whoami hostname uname nproc date env printenv timeout nohup nice which
// free stty: who and where the process is, and running other programs.

// BB_EXECVP_or_die: run a program; a missing one is "can't execute" with
// 127 (126 when it cannot be executed).
export async function execProgram(t: Tool, argv: readonly string[], options: RunOptions = {}): Promise<number> {
  await t.out.flush();
  try {
    return await t.ctx.run(argv, options);
  } catch (err) {
    if (!isFsError(err)) throw err;
    await t.error(`can't execute '${argv[0]}': ${err.message}`);
    return err.code === 'ENOENT' ? 127 : 126;
  }
}

export const id = applet(async (t) => {
  const p = t.parse({ short: 'rnugG' });
  if (p.operands.length > 1) return t.usage();
  const names = new Names(t.ctx.fs);
  const ident = t.ctx.proc.identity;
  let uid = ident.uid;
  let gid = ident.gid;
  let groups = [ident.gid, ...ident.groups];
  if (p.operands.length === 1) {
    const u = names.userByName(p.operands[0]) ?? (/^\d+$/.test(p.operands[0]) ? undefined : undefined);
    if (!u) return t.die(`unknown user ${p.operands[0]}`);
    uid = u.uid;
    gid = u.gid;
    groups = [u.gid, ...names.allGroups().filter((g) => g.members.includes(u.name)).map((g) => g.gid)];
  }
  groups = [...new Set(groups)];
  const byName = p.has('n');
  let status = 0;
  const one = async (v: number, name: string | undefined): Promise<string> => {
    if (!byName) return String(v);
    if (name === undefined) {
      await t.error(`unknown ID ${v}`);
      status = 1;
      return String(v);
    }
    return name;
  };
  if (p.has('u')) await t.out.text((await one(uid, names.user(uid))) + '\n');
  else if (p.has('g')) await t.out.text((await one(gid, names.group(gid))) + '\n');
  else if (p.has('G')) {
    const list: string[] = [];
    for (const g of groups) list.push(await one(g, names.group(g)));
    await t.out.text(list.join(' ') + '\n');
  } else {
    const fmt = (v: number, n: string | undefined) => (n === undefined ? `${v}` : `${v}(${n})`);
    await t.out.text(`uid=${fmt(uid, names.user(uid))} gid=${fmt(gid, names.group(gid))} groups=${groups.map((g) => fmt(g, names.group(g))).join(',')}\n`);
  }
  return status;
});

// who, w and users (who_main): a container has no utmp, so no one is
// logged on; w and who -H print the header, users an empty line.
export const who = applet(async (t) => {
  const w = t.name === 'w';
  const users = t.name === 'users';
  const p = t.parse({ short: w || users ? '' : 'aH' });
  if (p.operands.length) return t.usage();
  if (w || p.has('H')) await t.out.text('USER\t\tTTY\t\tIDLE\tTIME\t\t HOST\n');
  if (users) await t.out.text('\n');
  return 0;
});

export const whoami = applet(async (t) => {
  // Any argument, option or not, is the usage (busybox's whoami_main).
  if (t.args.length > 0) return t.usage();
  const uid = t.ctx.proc.identity.uid;
  const name = new Names(t.ctx.fs).user(uid);
  if (name === undefined) return t.die(`unknown uid ${uid}`);
  await t.out.text(name + '\n');
  return 0;
});

export const hostname = applet(async (t) => {
  // busybox's hostname passes long names to getopt32, which takes none.
  const p = t.parse({ short: 'dfisF:v' });
  if (p.operands.length > 0 || p.has('F')) {
    let name = p.operands[0];
    if (p.has('F')) {
      // busybox: the file's first line that is not a comment.
      const input = t.input(p.value('F')!);
      const text = await input.all(4096).finally(() => input.close());
      name = text.split('\n').find((l) => l.trim() && !l.trim().startsWith('#'))?.trim() ?? '';
    }
    // Setting it needs CAP_SYS_ADMIN, and seccomp may deny it.
    if (!t.ctx.container.setHostname?.(name ?? '', t.ctx.proc.identity.uid)) return t.die('sethostname: Operation not permitted');
    return 0;
  }
  const name = t.ctx.container.hostname;
  if (p.has('i')) await t.out.text(`${t.ctx.container.podIps.join(' ')}\n`);
  else if (p.has('d')) {
    const dot = name.indexOf('.');
    if (dot >= 0) await t.out.text(name.slice(dot + 1) + '\n');
  } else if (p.has('s')) await t.out.text(name.split('.')[0] + '\n');
  else await t.out.text(name + '\n');
  return 0;
});

export const uname = applet(async (t) => {
  const p = t.parse({
    short: 'snrvmpioa',
    long: {
      all: 'a',
      'kernel-name': 's',
      nodename: 'n',
      'kernel-release': 'r',
      release: 'r',
      'kernel-version': 'v',
      machine: 'm',
      processor: 'p',
      'hardware-platform': 'i',
      'operating-system': 'o',
    },
  });
  if (p.operands.length) return t.usage();
  const c = t.ctx.container;
  const all = p.has('a');
  const fields: [string, string][] = [
    ['s', 'Linux'],
    ['n', c.hostname],
    ['r', c.kernelRelease],
    ['v', '#1 SMP PREEMPT_DYNAMIC'],
    ['m', c.arch],
    ['p', all ? '' : 'unknown'],
    ['i', all ? '' : 'unknown'],
    ['o', 'GNU/Linux'],
  ];
  let want = fields.filter(([k]) => all || p.has(k));
  if (want.length === 0) want = [fields[0]];
  await t.out.text(want.map(([, v]) => v).filter((v) => v !== '').join(' ') + '\n');
  return 0;
});

export const nproc = applet(async (t) => {
  const p = t.parse({ long: { all: '\u00ff', 'ignore': '\u00fe:' } });
  let n = Math.max(1, Math.ceil(t.ctx.container.cpus));
  if (p.has('\u00fe')) {
    const v = p.value('\u00fe')!;
    if (!/^\d+$/.test(v)) return t.die(`invalid number '${v}'`);
    n -= Number(v);
  }
  await t.out.text(`${Math.max(1, n)}\n`);
  return 0;
});

export const date = applet(async (t) => {
  const p = t.parse({
    short: 'Rs:ud:r:I::D:',
    long: { 'rfc-822': 'R', 'rfc-2822': 'R', set: 's:', utc: 'u', date: 'd:', reference: 'r:' },
  });
  let ops = p.operands;
  let fmt: string | undefined;
  if (ops[0]?.startsWith('+')) {
    fmt = ops[0].slice(1);
    ops = ops.slice(1);
  }
  let dateStr = p.value('d') ?? p.value('s');
  let setting = p.has('s');
  if (!p.has('d') && !p.has('s') && ops.length > 0) {
    // date MMDDhhmm[[CC]YY][.ss]: set the clock.
    setting = true;
    dateStr = ops[0];
    const m = /^(\d+)(\.\d\d)?$/.exec(dateStr);
    if (m) {
      const len = m[1].length - 8;
      if (len < 0 || len > 4 || len & 1) return t.die(`invalid date '${dateStr}'`);
      dateStr = m[1].slice(8) + m[1].slice(0, 8) + (m[2] ?? '');
    }
    ops = ops.slice(1);
  }
  if (ops.length) return t.usage();
  let ms = t.ctx.container.clock.now();
  if (p.has('r')) {
    try {
      ms = t.ctx.fs.stat(t.path(p.value('r')!)).mtimeMs;
    } catch (err) {
      if (!isFsError(err)) throw err;
      return t.die(`can't stat '${p.value('r')}': ${err.message}`);
    }
  }
  if (dateStr !== undefined) {
    try {
      const midnight = Date.UTC(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth(), new Date(ms).getUTCDate());
      // -D: the string read by that strptime format instead.
      const read = p.has('D') ? strptime(dateStr, p.value('D')!, midnight) : parseDateStr(dateStr, midnight);
      if (read === undefined) return t.die(`invalid date '${dateStr}'`);
      ms = read;
    } catch (err) {
      if (err instanceof DateError) return t.die(err.message);
      throw err;
    }
    if (setting) await t.error("can't set date: Operation not permitted");
  }
  if (fmt === undefined) {
    if (p.has('I')) {
      const kinds = ['date', 'hours', 'minutes', 'seconds', 'ns'];
      const v = p.value('I');
      const k = v === undefined ? 0 : kinds.findIndex((x) => x.startsWith(v));
      if (k < 0) return t.usage();
      // busybox's default build has no FEATURE_DATE_NANO: tv_nsec is 0.
      fmt = ['%Y-%m-%d', '%Y-%m-%dT%H', '%Y-%m-%dT%H:%M', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M:%S,000000000'][k] + (k ? '+00:00' : '');
    } else if (p.has('R')) fmt = '%a, %d %b %Y %H:%M:%S %z';
    else fmt = '%a %b %e %H:%M:%S %Z %Y';
  }
  await t.out.text((fmt === '' ? '' : strftime(fmt, ms)) + '\n');
  return 0;
});

export const env = applet(async (t) => {
  const p = t.parse({ short: 'i0u:', long: { 'ignore-environment': 'i', null: '0', unset: 'u:' }, stopAtOperand: true });
  let ops = p.operands;
  let clear = p.has('i');
  if (ops[0] === '-') {
    clear = true;
    ops = ops.slice(1);
  }
  const vars: Record<string, string> = clear ? {} : { ...t.ctx.env };
  for (const u of p.values('u')) delete vars[u];
  while (ops.length && ops[0].includes('=')) {
    const eq = ops[0].indexOf('=');
    vars[ops[0].slice(0, eq)] = ops[0].slice(eq + 1);
    ops = ops.slice(1);
  }
  if (ops.length) return execProgram(t, ops, { env: vars });
  const end = p.has('0') ? '\0' : '\n';
  for (const [k, v] of Object.entries(vars)) await t.out.text(`${k}=${v}${end}`);
  return 0;
});

export const printenv = applet(async (t) => {
  const p = t.parse({ short: '0' });
  const end = p.has('0') ? '\0' : '\n';
  if (p.operands.length === 0) {
    for (const [k, v] of Object.entries(t.ctx.env)) await t.out.text(`${k}=${v}${end}`);
    return 0;
  }
  let status = 0;
  for (const name of p.operands) {
    const v = t.ctx.env[name];
    if (v === undefined) status = 1;
    else await t.out.text(v + end);
  }
  return status;
});

export const timeout = applet(async (t) => {
  const p = t.parse({ short: 's:k:', stopAtOperand: true });
  const sig = signalNumber(p.value('s') ?? 'TERM');
  if (sig === undefined) return t.die(`unknown signal '${p.value('s')}'`);
  const killAfter = p.has('k') ? await parseDuration(t, p.value('k')!) : 0;
  const ops = p.operands;
  if (ops.length < 2) return t.usage();
  const secs = await parseDuration(t, ops[0]);
  // As busybox: the program runs in this process (exec) and a watcher
  // signals it, so the program dies of the signal itself (the shell says
  // "Terminated") unless it handles it; as pid 1, the kernel ignores it.
  const me = t.ctx.proc;
  const ident = me.identity;
  const done = { v: false };
  void (async () => {
    try {
      await t.ctx.sleep(secs * 1000);
      if (done.v) return;
      const name = signalName(sig);
      if (name) t.ctx.container.procs.kill(me.pid, name, ident);
      if (killAfter > 0) {
        await t.ctx.sleep(killAfter * 1000);
        if (!done.v) t.ctx.container.procs.kill(me.pid, 'KILL', ident);
      }
    } catch {
      // The process is gone: nothing left to watch.
    }
  })();
  try {
    return await execProgram(t, ops.slice(1), { inProcess: true, exec: true });
  } finally {
    done.v = true;
  }
});

export const nohup = applet(async (t) => {
  const args = t.args[0] === '--' ? t.args.slice(1) : t.args;
  if (args.length === 0) {
    await t.usage().catch(() => {});
    return 127;
  }
  let stdout = t.ctx.stdout;
  if (t.ctx.stdout.isTTY) {
    let name = 'nohup.out';
    try {
      const o = t.output(name, { create: true, append: true }, 0o600);
      stdout = o.stream;
    } catch {
      name = posix.join(t.ctx.env.HOME ?? '/', 'nohup.out');
      try {
        stdout = t.output(name, { create: true, append: true }, 0o600).stream;
      } catch {
        stdout = { write: async () => {} };
      }
    }
    await t.error(`appending output to ${name}`);
  }
  const stderr = t.ctx.stderr.isTTY ? stdout : t.ctx.stderr;
  t.ctx.proc.setDisposition('HUP', 'ignore');
  // busybox execs the command: it runs in this process under its own name.
  return execProgram(t, args, { stdout, stderr, inProcess: true, exec: true });
});

// setsid [-c] PROG ARGS: a new session is nothing here (there are no
// sessions or terminals to leave): it execs the program, as busybox does.
export const setsid = applet(async (t) => {
  const p = t.parse({ short: 'c', stopAtOperand: true });
  if (p.operands.length === 0) return t.usage();
  return execProgram(t, p.operands, { inProcess: true, exec: true });
});

export const nice = applet(async (t) => {
  const p = t.parse({ short: 'n:', stopAtOperand: true });
  if (p.operands.length === 0) {
    await t.out.text('0\n');
    return 0;
  }
  const adj = p.value('n');
  if (adj !== undefined && !/^[+-]?\d+$/.test(adj)) return t.die(`invalid number '${adj}'`);
  if (adj !== undefined && Number(adj) < 0 && t.ctx.proc.identity.uid !== 0) {
    await t.error(`setpriority(${adj}): Permission denied`);
  }
  return execProgram(t, p.operands, { inProcess: true, exec: true });
});

export const which = applet(async (t) => {
  const p = t.parse({ short: 'a' });
  if (p.operands.length === 0) return t.usage();
  const path = t.ctx.env.PATH ?? DEFAULT_PATH;
  let status = 0;
  const fs = t.ctx.fs;
  const executable = (f: string) => {
    try {
      if (fs.stat(f).type !== 'file') return false;
      fs.access(f, 1);
      return true;
    } catch {
      return false;
    }
  };
  for (const name of p.operands) {
    let found = false;
    if (name.includes('/')) {
      if (executable(t.path(name))) {
        await t.out.text(name + '\n');
        found = true;
      }
    } else {
      for (const dir of path.split(':')) {
        const cand = posix.join(dir || '.', name);
        if (executable(t.path(cand))) {
          await t.out.text(cand + '\n');
          found = true;
          if (!p.has('a')) break;
        }
      }
    }
    if (!found) status = 1;
  }
  return status;
});

export const free = applet(async (t) => {
  // free_main looks at argv[1] alone: -b -k -m -g -h, anything else after
  // a dash is the usage.
  const a = t.args[0];
  const opt = a?.startsWith('-') ? (a[1] ?? '') : '';
  if (a?.startsWith('-') && (!opt || !'bkmgh'.includes(opt))) return t.usage();
  const p = { has: (k: string) => opt === k };
  const c = t.ctx.container;
  const total = c.memoryLimitBytes > 0 ? c.memoryLimitBytes : 8 * 1024 * 1024 * 1024;
  const used = Math.min(total, 4 * 1024 * 1024);
  const freeB = total - used;
  let unit = 1024;
  if (p.has('b')) unit = 1;
  if (p.has('m')) unit = 1024 * 1024;
  if (p.has('g')) unit = 1024 * 1024 * 1024;
  const fmt = (v: number) => {
    if (p.has('h')) {
      const units = ['B', 'K', 'M', 'G', 'T'];
      let u = 0;
      let x = v;
      while (x >= 1024 && u < units.length - 1) {
        x /= 1024;
        u++;
      }
      return (u ? x.toFixed(1) : String(x)) + units[u];
    }
    return String(Math.floor(v / unit));
  };
  const col = (s: string) => s.padStart(12);
  await t.out.text(`       ${['total', 'used', 'free', 'shared', 'buff/cache', 'available'].map(col).join('')}\n`);
  await t.out.text(`Mem:   ${[total, used, freeB, 0, 0, freeB].map((v) => col(fmt(v))).join('')}\n`);
  await t.out.text(`Swap:  ${[0, 0, 0].map((v) => col(fmt(v))).join('')}\n`);
  return 0;
});
