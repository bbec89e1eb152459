import { join } from 'node:path';
import { makeClient } from '../cri/client';
import { type FakecriCli, fmt, measure, onLinesAfter, paced, stopChild } from './load';

// What the containers' userland on a thread of its own would give the RPCs
// (worker-pods.ts): Version against a server whose 1,000 loop pods run in a
// worker thread, beside the same pods on its main thread and beside none,
// the three in the same run.
const PODS = 1000;
const PACE = { callers: 4, everyMs: 10, ms: 4000 };
// What worker-pods.ts writes before what it says.
const SAYS = 'fakecri-bench pods ';

export async function workerSplitBench(dir: string, print: (s: string) => void, fakecriCli: FakecriCli): Promise<void> {
  print('');
  print(`Userland on a thread of its own? ${PODS} of upstream's loop pods with an App of their own, in the server's process; its own App has none and answers Version`);
  for (const where of ['none', 'main', 'worker'] as const) {
    const sock = join(dir, `split-${where}.sock`);
    const env = { FAKECRI_BENCH_PODS: where === 'none' ? '0' : String(PODS), FAKECRI_BENCH_PODS_IN: where, FAKECRI_BENCH_PODS_STATE: join(dir, `split-${where}-pods`) };
    Object.assign(process.env, env);
    const server = await fakecriCli(['serve', '--socket', sock, '--state-dir', join(dir, `split-${where}-state`), '--log-level', 'info'], 'fakecri serving', ['-r', join(__dirname, 'worker-pods.js')]).finally(() => {
      for (const k of Object.keys(env)) delete process.env[k];
    });
    try {
      let rounds = 0;
      const started = new Promise<void>((resolve, reject) =>
        onLinesAfter(server.stderr!, SAYS, (said) => {
          // 'started' may come before the server is serving, unseen here:
          // the rounds, said every second from then on, say it as well.
          if (said === 'started') resolve();
          else if (said.startsWith('rounds ')) {
            rounds = Number(said.slice(7));
            resolve();
          } else reject(new Error(`the pods: ${said}`));
        }),
      );
      if (where !== 'none') await started;
      const rt = makeClient(sock, 'RuntimeService', { raw: true });
      const r0 = { rounds, at: Date.now() };
      const busy = await measure(() => rt.call('Version'), { callers: 4, maxCalls: 20_000, maxMs: 4000 });
      const slow = await paced(() => rt.call('Version'), PACE);
      const perSecond = ((rounds - r0.rounds) * 1000) / (Date.now() - r0.at);
      rt.close();
      const label = { none: 'no pods', main: 'pods on the main thread', worker: 'pods in a worker thread' }[where];
      print(
        `  ${label.padEnd(24)} Version, 4 callers saturating: p50 ${fmt(busy.p50)} ms, p99 ${fmt(busy.p99)} ms; every 10 ms: p50 ${fmt(slow.p50)} ms, p99 ${fmt(slow.p99)} ms${where === 'none' ? '' : `; ${fmt(perSecond, 0)} rounds a second`}`,
      );
    } finally {
      await stopChild(server);
    }
  }
}
