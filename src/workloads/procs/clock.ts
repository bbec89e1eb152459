import { sleep as delay } from '../../domain/sleep';
import type { Clock } from './types';

// domain/sleep takes waits past Node's 2^31 ms timer limit in steps.
export const longSleep = (ms: number, signal: AbortSignal): Promise<void> => delay(Math.max(0, ms), signal);

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: longSleep,
  replaying: () => false,
};

// A timeline that starts at the container's start: `sleep N` ends N seconds
// after the sleep began on it, not after fakecri got round to it. After a
// restart of fakecri the program runs again from its start, fast up to the
// present (replaying() is true until then), and on in real time after.
export class ProgramClock implements Clock {
  private t: number;

  constructor(
    startMs: number,
    private readonly replayUntilMs = 0,
  ) {
    this.t = startMs;
  }

  now(): number {
    return Math.max(this.t, this.replaying() ? this.t : Date.now());
  }

  replaying(): boolean {
    return this.t < this.replayUntilMs;
  }

  // A server blocked in accept() never sleeps: without this it would replay,
  // mute, for ever.
  caughtUp(): void {
    this.t = Math.max(this.t, this.replayUntilMs);
  }

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.t = Math.max(this.t, this.replaying() ? this.t : Date.now()) + ms;
    const wait = this.t - Date.now();
    if (wait > 0) await longSleep(wait, signal);
    else {
      await new Promise((r) => setImmediate(r));
      if (signal.aborted) throw signal.reason;
    }
  }
}
