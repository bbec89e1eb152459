import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// A fakecri as the kubelet finds it: `fakecri serve` in a process of its
// own, on a unix socket. Tracks how it ends (a crash is any exit fakecri was
// not asked for), its error-level log lines, its fds and RSS.
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  expected: boolean;
  stderrTail: string;
}

export class ServerProcess {
  child?: ChildProcess;
  readonly socket: string;
  readonly controlSocket: string;
  readonly exits: Exit[] = [];
  // JSON lines fakecri logged at error (50) or fatal (60).
  readonly errorLines: string[] = [];
  private stderrTail = '';
  private expectExit = false;

  constructor(
    readonly dir: string,
    private readonly config: string,
    private readonly logLevel = 'info',
  ) {
    this.socket = join(dir, 'fakecri.sock');
    this.controlSocket = join(dir, 'fakecri-control.sock');
    writeFileSync(join(dir, 'fakecri.toml'), config);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  // Starts fakecri and resolves once it serves; rejects, with its output, if
  // it exits first (a start it refused).
  start(timeoutMs = 60_000): Promise<void> {
    const cli = join(__dirname, '..', '..', 'cli', 'main.js');
    const args = [cli, 'serve', '--config', join(this.dir, 'fakecri.toml'), '--socket', this.socket, '--state-dir', join(this.dir, 'state'), '--log-level', this.logLevel];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.expectExit = false;
    let out = '';
    let serving = false;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fakecri did not serve within ${timeoutMs} ms: ${out.slice(-2000)}`)), timeoutMs);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => {
        out += d;
        this.stderrTail = (this.stderrTail + d).slice(-4000);
        for (const line of d.split('\n')) {
          if (/"level":(50|60),/.test(line)) this.errorLines.push(line);
          if (!serving && line.includes('fakecri serving')) {
            serving = true;
            clearTimeout(timer);
            resolve();
          }
        }
        if (serving && out.length > 100_000) out = '';
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        this.exits.push({ code, signal, expected: this.expectExit, stderrTail: this.stderrTail });
        if (!serving) reject(new Error(`fakecri exited (${code ?? signal}) before serving: ${out.slice(-2000)}`));
      });
    });
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectExit = true;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  // SIGTERM, as an operator stops it; false if it did not exit within
  // `ms` (a frozen event loop cannot run the handler), and then SIGKILL.
  async stop(ms = 15_000): Promise<boolean> {
    const child = this.child;
    if (!child || !this.running) return true;
    this.expectExit = true;
    const exited = new Promise<boolean>((r) => child.once('exit', () => r(true)));
    child.kill('SIGTERM');
    const timer = new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref());
    const clean = await Promise.race([exited, timer]);
    if (!clean) await this.kill('SIGKILL');
    return clean;
  }

  crashes(): Exit[] {
    return this.exits.filter((e) => !e.expected);
  }

  fds(): number {
    return this.pid ? readdirSync(`/proc/${this.pid}/fd`).length : 0;
  }

  // What the process is doing, from /proc: for a hang, whether it spins
  // (R, CPU time growing) or waits in the kernel (S or D, and where).
  diagnose(): string {
    if (!this.pid) return 'not running';
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      const wchan = readFileSync(`/proc/${this.pid}/wchan`, 'utf8');
      return `state ${stat[0]}, utime ${stat[11]} stime ${stat[12]} ticks, wchan ${wchan || '-'}, ${this.fds()} fds, RSS ${this.rssKiB()} KiB; last output: ${this.stderrTail.slice(-600)}`;
    } catch (err) {
      return (err as Error).message;
    }
  }

  // What its fds are: sockets, pipes, files, event fds…
  fdKinds(): string {
    if (!this.pid) return '';
    const kinds = new Map<string, number>();
    for (const fd of readdirSync(`/proc/${this.pid}/fd`)) {
      let target = '?';
      try {
        target = readlinkSync(`/proc/${this.pid}/fd/${fd}`);
      } catch {
        // Closed meanwhile.
      }
      const kind = target.startsWith('/') ? 'file' : target.replace(/[:[].*$/, '');
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    return [...kinds].map(([k, n]) => `${k} ${n}`).join(', ');
  }

  rssKiB(): number {
    if (!this.pid) return 0;
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1] ?? 0);
  }
}
