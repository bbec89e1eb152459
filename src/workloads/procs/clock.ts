import { type Interrupt, sleep as delay } from '../../domain/sleep';
import type { Clock } from './types';

// domain/sleep takes waits past Node's 2^31 ms timer limit in steps.
export const longSleep = (ms: number, signal: Interrupt): Promise<void> => delay(Math.max(0, ms), signal);

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: longSleep,
  replaying: () => false,
};

// Where a program has got to: how many sleeps it has begun, its writes
// (output, a file changed) since the last, and its time (the end of that
// sleep). A replay counts sleeps and writes, not time: the program took
// longer than its sleeps to get there, and the replay does not.
export interface ProgramPosition {
  sleeps: number;
  n: number;
  t: number;
}

// A timeline that starts at the container's start: `sleep N` ends N seconds
// after the sleep began on it, not after fakecri got round to it. After a
// restart of fakecri the program runs again from its start, fast, up to
// where it had got (replaying() is true until then), and on in real time
// after. Where it had got is the position fakecri recorded as it stopped;
// after a kill -9 (a number), the time of the restart.
export class ProgramClock implements Clock {
  private t: number;
  private sleeps = 0;
  private n = 0;

  constructor(
    startMs: number,
    private readonly until: number | ProgramPosition = 0,
  ) {
    this.t = startMs;
  }

  now(): number {
    return this.replaying() ? this.t : Date.now();
  }

  replaying(): boolean {
    const u = this.until;
    if (typeof u === 'number') return this.t < u;
    return this.sleeps < u.sleeps || (this.sleeps === u.sleeps && this.n < u.n);
  }

  // A write of the program's: true when it is one it made before the
  // restart, to be dropped.
  effect(): boolean {
    const done = this.replaying();
    this.n++;
    return done;
  }

  // Where it has got; while it still replays, where it had got before
  // (undefined after a kill -9: it has no position, only the restart's time).
  position(): ProgramPosition | undefined {
    if (this.replaying()) return typeof this.until === 'number' ? undefined : { ...this.until };
    return { sleeps: this.sleeps, n: this.n, t: this.t };
  }

  // A server blocked in accept() never sleeps: without this it would replay,
  // mute, for ever.
  caughtUp(): void {
    if (!this.replaying()) return;
    const u = this.until;
    if (typeof u === 'number') {
      this.t = u;
      return;
    }
    this.sleeps = u.sleeps;
    this.n = u.n;
    this.t = Math.max(this.t, u.t);
  }

  // Not async: a frame here would stay alive for the whole sleep.
  sleep(ms: number, signal: Interrupt): Promise<void> {
    const replaying = this.replaying();
    this.sleeps++;
    this.n = 0;
    const u = this.until;
    // The sleep it was in when fakecri stopped ends when it would have.
    if (typeof u !== 'number' && this.sleeps === u.sleeps) this.t = u.t;
    else if (replaying) this.t += ms;
    // Live, a sleep ends ms from now, whatever sleeps run beside it: a
    // background `sleep 100 &` must not hold back the next foreground one.
    else this.t = Date.now() + ms;
    const wait = this.t - Date.now();
    if (wait > 0) return longSleep(wait, signal);
    return new Promise((resolve, reject) => setImmediate(() => (signal.aborted ? reject(signal.reason) : resolve())));
  }
}
