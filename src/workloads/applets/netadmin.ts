import type { ProcessTable } from '../procs/types';
import { catchSignals } from './common/signals';
import { type Tool, applet } from './common/tool';

// ping and brctl: the network applets whose first question is a capability
// (CAP_NET_RAW for ping's raw socket, CAP_NET_ADMIN for a bridge), which
// is what pods and critest use them for. Echo replies come from loopback
// and the pod's own addresses; nothing else answers.

const has = (t: Tool, cap: string, syscall: string) => t.ctx.container.mayCall?.(t.ctx.proc.identity.uid, cap, syscall) ?? true;

export const ping = applet(async (t) => {
  const p = t.parse({ short: '46c:s:t:I:W:w:qi:A' });
  if (p.operands.length !== 1) return t.usage();
  const host = p.operands[0];
  const net = t.ctx.container.net;
  const addr = net ? net.resolve(host) : host === 'localhost' ? '127.0.0.1' : /^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : undefined;
  if (!addr) return t.die(`bad address '${host}'`);
  const size = p.has('s') ? Number(p.value('s')) : 56;
  if (!Number.isInteger(size) || size < 0 || size > 65500) return t.die(`invalid number '${p.value('s')}'`);
  const count = p.has('c') ? Number(p.value('c')) : 0;
  if (!Number.isInteger(count) || count < 0) return t.die(`invalid number '${p.value('c')}'`);
  const intervalMs = p.has('i') ? Number(p.value('i')) * 1000 : 1000;
  const deadlineMs = p.has('w') ? Number(p.value('w')) * 1000 : 0;
  const waitMs = p.has('W') ? Number(p.value('W')) * 1000 : 10_000;
  if (![intervalMs, deadlineMs, waitMs].every((n) => Number.isFinite(n) && n >= 0)) return t.die('invalid number');
  const ttl = p.has('t') ? Number(p.value('t')) : 64;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) return t.die(`invalid number '${p.value('t')}'`);
  await t.out.text(`PING ${host} (${addr}): ${size} data bytes\n`);
  // busybox opens the raw socket after that line, and dies on EPERM.
  if (!has(t, 'NET_RAW', 'socket')) return t.die('permission denied (are you root?)');

  const answers = addr.startsWith('127.') || t.ctx.container.podIps.includes(addr);
  const clock = t.ctx.container.clock;
  const start = clock.now();
  // Round trips: a loopback's few tens of microseconds.
  const rtt = { got: 0, min: Infinity, max: 0, sum: 0 };
  let sent = 0;
  // SIGINT (Ctrl-C) ends it with the statistics, as busybox's handler does.
  const interrupt = catchSignals(t.ctx.proc, ['INT']);
  try {
    while (!interrupt.signal && (count === 0 || sent < count)) {
      if (deadlineMs > 0 && clock.now() - start >= deadlineMs) break;
      const seq = sent++;
      if (answers) {
        const ms = 0.03 + ((seq * 7) % 10) / 1000;
        rtt.got++;
        rtt.min = Math.min(rtt.min, ms);
        rtt.max = Math.max(rtt.max, ms);
        rtt.sum += ms;
        if (!p.has('q')) await t.out.text(`${size + 8} bytes from ${addr}: seq=${seq} ttl=${ttl} time=${ms.toFixed(3)} ms\n`);
      }
      await t.out.flush();
      const last = count > 0 && sent >= count;
      const pause = last ? (answers ? 0 : waitMs) : intervalMs;
      if (pause > 0) await Promise.race([t.ctx.sleep(deadlineMs > 0 ? Math.min(pause, Math.max(0, start + deadlineMs - clock.now())) : pause), interrupt.arrived]);
    }
  } finally {
    interrupt.off();
  }
  const got = rtt.got;
  await t.out.text(`\n--- ${host} ping statistics ---\n`);
  await t.out.text(`${sent} packets transmitted, ${got} packets received, ${sent ? Math.floor(((sent - got) * 100) / sent) : 0}% packet loss\n`);
  if (got > 0) {
    await t.out.text(`round-trip min/avg/max = ${rtt.min.toFixed(3)}/${(rtt.sum / got).toFixed(3)}/${rtt.max.toFixed(3)} ms\n`);
  }
  return got > 0 ? 0 : 1;
});

// The bridges of each container's network namespace (a container's own:
// fakecri does not share them between a pod's containers).
const bridges = new WeakMap<ProcessTable, Set<string>>();

export const brctl = applet(async (t) => {
  const [cmd, ...args] = t.args;
  const table = t.ctx.container.procs;
  let set = bridges.get(table);
  if (!set) bridges.set(table, (set = new Set()));
  switch (cmd) {
    case 'show': {
      await t.out.text('bridge name\tbridge id\t\tSTP enabled\tinterfaces\n');
      for (const br of set) await t.out.text(`${br}\t\t8000.000000000000\tno\t\t\n`);
      return 0;
    }
    case 'addbr':
    case 'delbr': {
      if (args.length !== 1) return t.usage();
      const br = args[0];
      if (!has(t, 'NET_ADMIN', 'ioctl')) return t.die(`bridge ${br}: Operation not permitted`);
      if (cmd === 'addbr') {
        if (set.has(br)) return t.die(`bridge ${br}: File exists`);
        set.add(br);
      } else if (!set.delete(br)) return t.die(`bridge ${br}: No such device or address`);
      return 0;
    }
    default:
      return t.usage();
  }
});
