import { runCommand } from '../workloads/exec';
import { parseCached, parseStats } from '../workloads/shell/cache';
import { parseScript } from '../workloads/shell/parser';
import { Kit } from '../workloads/shell/testkit';

// Run with --expose-gc: what a running shell costs, beside the old
// interpreter (workloads/exec.ts) running the same loop in the same run.
//   node --expose-gc dist/bench/shell-probe.js [shells]
// The shells run on the shell's test container (testkit.ts): the figures
// are the shell's own state, its await chain and its sleeping child, not
// the container's files or the integration around it.
declare const gc: () => void;

const N = Number(process.argv[2] ?? 1000);
const UPSTREAM =
  'i=0; while [ $i -lt 3 ]; do dd if=/dev/urandom of=/tmp/file${i} bs=1024 count=1 2>/dev/null; sleep .01; i=$(($i+1)); done; while true; do sleep 5; done';
const IDLE = 'while true; do sleep 5; done';

const settle = () => {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
};
const print = (s: string) => process.stdout.write(`${s}\n`);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A pod's environment as the kubelet gives it: service variables and all.
const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', HOSTNAME: 'pod' };
for (let i = 0; i < 10; i++) {
  env[`SVC${i}_SERVICE_HOST`] = `10.96.0.${i}`;
  env[`SVC${i}_SERVICE_PORT`] = '443';
  env[`SVC${i}_PORT`] = `tcp://10.96.0.${i}:443`;
}

async function shells(script: string): Promise<number> {
  const kits = Array.from({ length: N }, () => new Kit());
  const before = settle();
  for (const k of kits) void k.exec(['sh', '-c', script], { env });
  const sleeping = () => kits.filter((k) => k.procs.list().some((p) => p.argv[1] === '5' || p.argv.includes('5'))).length;
  while (sleeping() < N) await wait(20);
  await wait(100);
  const bytes = (settle() - before) / N;
  for (const k of kits) k.procs.killAll();
  await wait(50);
  return bytes;
}

async function oldInterpreter(script: string): Promise<number> {
  const aborts = Array.from({ length: N }, () => new AbortController());
  const before = settle();
  for (const a of aborts) void runCommand(['sh', '-c', script], { files: {}, mounts: [], signal: a.signal }).catch(() => {});
  await wait(300);
  const bytes = (settle() - before) / N;
  for (const a of aborts) a.abort();
  return bytes;
}

async function main() {
  print(`shell probe: ${N} shells, node ${process.version}`);
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  print(`running \`${IDLE}\` (between iterations), heap per shell: ${kib(await shells(IDLE))}; old interpreter: ${kib(await oldInterpreter(IDLE))}`);
  print(`running upstream's eviction loop, in its last loop, heap per shell: ${kib(await shells(UPSTREAM))}`);

  // Parsing: the first parse of a text and the cached ones (after a warm-up).
  for (let i = 0; i < 1000; i++) parseScript(UPSTREAM);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) parseScript(UPSTREAM);
  const t1 = process.hrtime.bigint();
  const before = parseStats().parses;
  for (let i = 0; i < 1000; i++) parseCached(UPSTREAM);
  const t2 = process.hrtime.bigint();
  print(
    `parse of the upstream loop: ${(Number(t1 - t0) / 1e6).toFixed(3)} µs uncached, ${(Number(t2 - t1) / 1e6).toFixed(3)} µs cached (parses for 1000 runs: ${parseStats().parses - before})`,
  );

  // Speed of a busy loop, and of `sh -c 'echo hi'`.
  const k = new Kit();
  await k.exec(['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done']);
  let t = process.hrtime.bigint();
  await k.exec(['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done']);
  print(`busy loop: ${((Number(process.hrtime.bigint() - t) / 1e3) / 20000).toFixed(1)} µs per iteration ([ ] and $((...)))`);
  t = process.hrtime.bigint();
  for (let i = 0; i < 2000; i++) await k.exec(['sh', '-c', 'echo hi']);
  print(`sh -c 'echo hi': ${(Number(process.hrtime.bigint() - t) / 1e3 / 2000).toFixed(1)} µs each`);
  process.exit(0);
}

void main();
