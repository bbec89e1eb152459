import { applet } from './common/tool';

// The kernel's tables as busybox prints them: netstat (sockets) and ipcs
// (System V IPC). A container sees what its namespaces hold: the host's
// with the host's namespace (ContainerInfo.hostListening, sharedMemory),
// else the pod's.

const col = (s: string, n: number) => s.padEnd(n);

// busybox netstat: -l listening only, -a all, -t/-u TCP/UDP, -n numeric
// (names are never looked up here anyway), -p, -e, -W accepted.
export const netstat = applet(async (t) => {
  const p = t.parse({ short: 'laentuwxrpWe' });
  const tcp = p.has('t') || !p.has('u');
  const udp = p.has('u') || !p.has('t');
  const listening = p.has('l') || !p.has('a');
  await t.out.text(`Active Internet connections (${listening && !p.has('a') ? 'only servers' : 'servers and established'})\n`);
  await t.out.text('Proto Recv-Q Send-Q Local Address           Foreign Address         State       \n');
  for (const s of t.ctx.container.hostListening?.() ?? []) {
    const isTcp = s.proto.startsWith('tcp');
    if ((isTcp && !tcp) || (!isTcp && !udp)) continue;
    const v6 = s.proto.endsWith('6');
    const local = `${s.address}:${s.port}`;
    const foreign = v6 ? ':::*' : '0.0.0.0:*';
    await t.out.text(`${col(s.proto, 5)} ${'0'.padStart(6)} ${'0'.padStart(6)} ${col(local, 23)} ${col(foreign, 23)} ${col(isTcp ? 'LISTEN' : '', 12)}\n`);
  }
  return 0;
});

// busybox ipcs: shared memory segments (-m), and the empty message queue
// and semaphore tables (-q, -s); all three by default.
export const ipcs = applet(async (t) => {
  const p = t.parse({ short: 'qmsaltcupi:' });
  const all = !p.has('q') && !p.has('m') && !p.has('s');
  if (all || p.has('m')) {
    await t.out.text('\n------ Shared Memory Segments --------\n');
    await t.out.text('key        shmid      owner      perms      bytes      nattch     status      \n');
    for (const s of t.ctx.container.sharedMemory?.() ?? []) {
      const key = `0x${(s.key >>> 0).toString(16).padStart(8, '0')}`;
      await t.out.text(`${key} ${col(String(s.shmid), 10)} ${col(String(s.uid === 0 ? 'root' : s.uid), 10)} ${col(s.perms.toString(8), 10)} ${col(String(s.bytes), 10)} ${col(String(s.nattch), 10)}\n`);
    }
    await t.out.text('\n');
  }
  if (all || p.has('s')) await t.out.text('\n------ Semaphore Arrays --------\nkey        semid      owner      perms      nsems     \n\n');
  if (all || p.has('q')) await t.out.text('\n------ Message Queues --------\nkey        msqid      owner      perms      used-bytes   messages    \n\n');
  return 0;
});
